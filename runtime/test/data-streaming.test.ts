import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { openData, parseIdx, encodeNpy, DataError, Tensor, type InputSpec, type Sample } from "../src/tooling.js";
import { withTempDir } from "./helpers/data.js";

const IMAGES: InputSpec[] = [{ name: "x", dtype: "float32", shape: ["batch", 1, 4, 4] }];

async function collect(it: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of it) out.push(s);
  return out;
}

/** An IDX image file stating `declared` items of 4×4 but holding only `held`: pixel (item, k) = (item · 16 + k) mod 251. */
function idx(declared: number, held: number): Uint8Array {
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000803, false);
  view.setUint32(4, declared, false);
  view.setUint32(8, 4, false);
  view.setUint32(12, 4, false);
  const pixels = Uint8Array.from({ length: held * 16 }, (_, i) => i % 251);
  return new Uint8Array([...header, ...pixels]);
}

test("IDX images stream: batches equal the whole-file parse across chunk boundaries, gzipped or not", async () => {
  await withTempDir(async (dir) => {
    const bytes = idx(300, 300);
    const whole = parseIdx(bytes, "whole");
    for (const [name, content] of [["plain-idx3-ubyte", bytes], ["images.gz", gzipSync(bytes)]] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      const batches = await collect(openData(file, IMAGES, { batchSize: 7, normalize: { scale: 1, mean: [0], std: [1] } }));
      assert.equal(batches.length, Math.ceil(300 / 7));
      const values = batches.flatMap((b) => [...(b.x!.data as Float32Array)]);
      assert.deepEqual(values, [...whole.data]);
      assert.deepEqual(batches.at(-1)!.x!.dims, [300 % 7, 1, 4, 4]);
    }
  });
});

test("a limit reads only what it needs: a file that claims more items than it holds serves the first ones and fails only when read past its end", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "big.gz");
    // States 60000 images, holds 100: a reader that parses the whole file first refuses it before the first batch.
    writeFileSync(file, gzipSync(idx(60000, 100)));
    const limited = await collect(openData(file, IMAGES, { batchSize: 16, limit: 16 }));
    assert.equal(limited.length, 1);
    assert.deepEqual(limited[0]!.x!.dims, [16, 1, 4, 4]);

    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const batch of openData(file, IMAGES, { batchSize: 16 })) seen.push(batch.x!.dims[0]!);
    }, (e: unknown) => e instanceof DataError && /big\.gz: is truncated: its dims \(60000 × 4 × 4\) need 960000 bytes of data, it ends after item 100/.test((e as Error).message));
    assert.ok(seen.length >= 1 && seen.length <= 6, `batches before the error: ${seen.join(", ")}`);
  });
});

test(".npy arrays stream the same way: rows of the first dimension, any dtype, a limit stops the reading", async () => {
  await withTempDir(async (dir) => {
    const rows = 1000;
    const data = Int16Array.from({ length: rows * 16 }, (_, i) => (i % 2000) - 1000);
    const file = path.join(dir, "rows.npy");
    const full = encodeNpy(new Tensor("int16", data, [rows, 1, 4, 4]));
    // Cut the file short: only a reader that stops at the limit never notices.
    writeFileSync(file, full.subarray(0, full.length - 16 * 2 * 500));
    const limited = await collect(openData(file, IMAGES, { batchSize: 50, limit: 200 }));
    assert.deepEqual(limited.map((b) => b.x!.dims[0]), [50, 50, 50, 50]);
    assert.deepEqual([...(limited[3]!.x!.data as Float32Array).subarray(0, 3)], [...data.subarray(150 * 16, 150 * 16 + 3)]);
    await assert.rejects(collect(openData(file, IMAGES, { batchSize: 50 })), /rows\.npy: is truncated/);
  });
});

test("an IDX file with a bad magic number or element type is refused with the file named", async () => {
  await withTempDir(async (dir) => {
    const notIdx = path.join(dir, "x-idx3-ubyte");
    writeFileSync(notIdx, Buffer.from("hello, not an idx file"));
    await assert.rejects(collect(openData(notIdx, IMAGES)), /x-idx3-ubyte: is not an IDX file \(bad magic number\)/);
    const floats = idx(1, 1);
    floats[2] = 0x0d;
    const floatFile = path.join(dir, "f-idx3-ubyte");
    writeFileSync(floatFile, floats);
    await assert.rejects(collect(openData(floatFile, IMAGES)), /f-idx3-ubyte: holds IDX element type 0xd; only unsigned bytes/);
  });
});
