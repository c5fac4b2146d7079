import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { zipSync } from "fflate";
import { DataError, encodeNpy, openData, parseNpz, Tensor, type InputSpec } from "../src/tooling.js";
import { EXAMPLES, REPO_ROOT, withTempDir } from "./helpers/data.js";

const INPUT: InputSpec[] = [{ name: "input", dtype: "float32", shape: ["batch", 1, 28, 28] }];

async function drain(location: string, inputs = INPUT): Promise<number> {
  let n = 0;
  for await (const batch of openData(location, inputs, { batchSize: 8 })) n += batch.input!.dims[0]!;
  return n;
}

async function refused(run: () => Promise<unknown> | unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(async () => run(), (error: unknown) => {
    assert.ok(error instanceof DataError, String((error as Error)?.stack ?? error));
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
}

test(".npz: an archive expanding past the cap, an entry larger than it declares, a header claiming more than stored", async () => {
  const npy = encodeNpy(new Tensor("float32", new Float32Array(1 << 20), [1024, 1024]));
  const zip = zipSync({ "input.npy": [npy, { level: 9 }] });
  assert.ok(zip.length < 20_000, "4 MiB of zeros compress to a few KiB");
  await refused(() => parseNpz(zip, "bomb.npz", 1 << 20), /bomb\.npz: expands to more than 1\.0 MiB \(entry 'input\.npy' declares 4\.0 MiB\)/);
  // The central directory lies: 100 bytes declared, 4 MiB inside; inflating stops at the declared size.
  const lying = Buffer.from(zip);
  const central = lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  lying.writeUInt32LE(100, central + 24);
  await refused(() => parseNpz(lying, "lying.npz"), /entry 'input\.npy' does not inflate to its declared 100 bytes/);
  // The .npy header inside claims 1000 samples of 784; 10 are stored.
  const short = encodeNpy(new Tensor("float32", new Float32Array(1000 * 784), [1000, 784]));
  const truncated = short.subarray(0, short.length - 990 * 784 * 4);
  await refused(() => parseNpz(zipSync({ "input.npy": truncated }), "short.npz"), /short\.npz:input\.npy: is truncated/);
});

test("a PNG declaring gigapixels and a gzipped IDX declaring huge items are refused before anything is allocated", async () => {
  await withTempDir(async (dir) => {
    const png = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.writeUInt32BE(13, 8);
    png.write("IHDR", 12, "latin1");
    png.writeUInt32BE(100_000, 16);
    png.writeUInt32BE(100_000, 20);
    writeFileSync(path.join(dir, "huge.png"), png);
    await refused(() => drain(path.join(dir, "huge.png")), /huge\.png: declares 100000 × 100000 pixels/);

    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x00000803, 0);
    header.writeUInt32BE(1, 4);
    header.writeUInt32BE(65_535, 8);
    header.writeUInt32BE(65_535, 12);
    writeFileSync(path.join(dir, "bomb-idx3-ubyte.gz"), gzipSync(Buffer.concat([header, Buffer.alloc(1 << 20)])));
    await refused(() => drain(path.join(dir, "bomb-idx3-ubyte.gz")), /declares items of 65535 × 65535 \(4\.0 GiB each\), more than the model's input can take/);
  });
});

test(".npy with negative dims, data modules that throw: one line naming the file (and sample)", async () => {
  await withTempDir(async (dir) => {
    const npy = Buffer.from(encodeNpy(new Tensor("float32", new Float32Array(784), [1, 784])));
    const text = npy.toString("latin1").replace("(1, 784)", "(-1, 784)");
    writeFileSync(path.join(dir, "negative.npy"), Buffer.from(text, "latin1"));
    await refused(() => drain(path.join(dir, "negative.npy")), /negative\.npy: has a \.npy shape qkit cannot use/);

    writeFileSync(path.join(dir, "throws.mjs"), 'throw new TypeError("no dataset here");\n');
    await refused(() => drain(path.join(dir, "throws.mjs")), /throws\.mjs: loading the data module threw TypeError: no dataset here/);
    writeFileSync(path.join(dir, "later.js"), [
      'const { Tensor } = require("qkit");',
      "exports.default = async function* () {",
      '  yield { input: new Tensor("float32", new Float32Array(784), [1, 1, 28, 28]) };',
      '  throw new RangeError("disk gone");',
      "};",
    ].join("\n"));
    await refused(() => drain(path.join(dir, "later.js")), /later\.js: sample 1 threw RangeError: disk gone/);
  });
});

test("integer and bool arrays given to a float input are converted with a warning naming the file", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "pixels.npy");
    writeFileSync(file, encodeNpy(new Tensor("uint8", new Uint8Array(2 * 784).fill(255), [2, 1, 28, 28])));
    const warnings: string[] = [];
    const listen = (w: Error) => warnings.push(w.message);
    process.on("warning", listen);
    try {
      assert.equal(await drain(file), 2);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", listen);
    }
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!, /pixels\.npy: holds uint8 values, given to float32 input 'input' as they are \(unscaled/);
  });
});

test("quantize with a data module that never resolves: exit 2, one line, nothing written", async () => {
  await withTempDir(async (dir) => {
    writeFileSync(path.join(dir, "never.mjs"), "export default async function* () { await new Promise(() => {}); }\n");
    const out = path.join(dir, "m.int8.onnx");
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, "runtime", "bin", "qkit.js"), "quantize",
      "--model", path.join(EXAMPLES, "fmnist_cnn_op13.onnx"), "--quantizer", "xnnpack", "--data", path.join(dir, "never.mjs"), "--out", out],
    { encoding: "utf8", env: { ...process.env, QKIT_SAMPLE_TIMEOUT_MS: "300" } });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /never\.mjs: sample 0 did not arrive within 0\.3 s/);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.ok(!existsSync(out));
  });
});
