import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileSync, mkdirSync } from "node:fs";
import { zipSync } from "fflate";
import { PNG } from "pngjs";
import * as jpeg from "jpeg-js";
import { openData, parseNpy, encodeNpy, parseNpz, parseTensorProto, imageToCHW, DataError, Tensor, makeTensor, onnx, type InputSpec, type Sample } from "../src/tooling.js";
import { withTempDir } from "./helpers/data.js";

const INPUT: InputSpec[] = [{ name: "x", dtype: "float32", shape: ["batch", 2, 3] }];

async function collect(it: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of it) out.push(s);
  return out;
}

/** A .npy file written by hand from the format's definition, independent of qkit's writer. */
function handMadeNpy(descr: string, shape: string, payload: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header = header.padEnd(118 - 1, " ") + "\n";
  const prefix = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return new Uint8Array([...prefix, ...Buffer.from(header, "latin1"), ...payload]);
}

test(".npy: hand-made files of several dtypes parse; qkit's writer round-trips", () => {
  const f32 = Float32Array.of(1.5, -2, 3, 4, 5, 6);
  const t = parseNpy(handMadeNpy("<f4", "(1, 2, 3)", new Uint8Array(f32.buffer)), "a.npy");
  assert.deepEqual([t.type, [...t.dims], Array.from(t.data as Float32Array)], ["float32", [1, 2, 3], Array.from(f32)]);
  const i64 = parseNpy(handMadeNpy("<i8", "(2,)", new Uint8Array(BigInt64Array.of(-5n, 7n).buffer)), "b.npy");
  assert.deepEqual(Array.from(i64.data as BigInt64Array), [-5n, 7n]);
  const u8 = parseNpy(handMadeNpy("|u1", "()", Uint8Array.of(200)), "c.npy");
  assert.deepEqual([[...u8.dims], u8.data[0]], [[], 200]);
  for (const tensor of [new Tensor("float32", f32, [2, 3]), new Tensor("int8", Int8Array.of(-1, 2), [2]), new Tensor("int64", BigInt64Array.of(1n), [1])]) {
    const back = parseNpy(encodeNpy(tensor), "r.npy");
    assert.deepEqual([back.type, [...back.dims], Array.from(back.data as ArrayLike<unknown>)], [tensor.type, [...tensor.dims], Array.from(tensor.data as ArrayLike<unknown>)]);
    assert.equal((encodeNpy(tensor).length - (tensor.data as ArrayBufferView).byteLength) % 64, 0, "the header is padded to 64 bytes");
  }
  assert.throws(() => parseNpy(handMadeNpy(">f4", "(1,)", new Uint8Array(4)), "big.npy"), /big\.npy: holds big-endian data/);
  assert.throws(() => parseNpy(handMadeNpy("<f4", "(4,)", new Uint8Array(4)), "short.npy"), /short\.npy: is truncated/);
  assert.throws(() => parseNpy(Buffer.from("not numpy"), "x.npy"), (e: unknown) => e instanceof DataError && /x\.npy: is not a \.npy file/.test(e.message));
});

test(".npz archives (stored and deflated) and TensorProto .pb files", () => {
  const a = encodeNpy(new Tensor("float32", Float32Array.of(1, 2, 3, 4, 5, 6), [1, 2, 3]));
  for (const level of [0, 6] as const) {
    const arrays = parseNpz(zipSync({ "x.npy": a, "other.npy": encodeNpy(new Tensor("int32", Int32Array.of(9), [1])) }, { level }), "d.npz");
    assert.deepEqual([...arrays.keys()].sort(), ["other", "x"]);
    assert.deepEqual(Array.from(arrays.get("x")!.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  }
  const pb = onnx.TensorProto.encode(makeTensor("x", "float32", [2, 3], Float32Array.of(6, 5, 4, 3, 2, 1))).finish();
  const { name, tensor } = parseTensorProto(pb, "input_0.pb");
  assert.equal(name, "x");
  assert.deepEqual([...tensor.dims], [2, 3]);
});

test("openData batches items across files and splits large arrays; shapes are fitted or refused with the file named", async () => {
  await withTempDir(async (dir) => {
    const folder = path.join(dir, "samples");
    mkdirSync(folder);
    // Item k holds the value k everywhere: 2 files of 3 items and one of 1.
    const items = (from: number, n: number) => Float32Array.from({ length: n * 6 }, (_, i) => from + Math.floor(i / 6));
    writeFileSync(path.join(folder, "1.npy"), encodeNpy(new Tensor("float32", items(0, 3), [3, 2, 3])));
    writeFileSync(path.join(folder, "2.npy"), encodeNpy(new Tensor("float32", items(3, 3), [3, 6])));
    writeFileSync(path.join(folder, "10.npy"), encodeNpy(new Tensor("float32", items(6, 1), [1, 2, 3])));
    const batches = await collect(openData(folder, INPUT, { batchSize: 4 }));
    assert.deepEqual(batches.map((b) => [...b.x!.dims]), [[4, 2, 3], [3, 2, 3]]);
    assert.deepEqual(Array.from(batches[1]!.x!.data as Float32Array).filter((_, i) => i % 6 === 0), [4, 5, 6], "numeric file order: 1, 2, 10");
    const limited = await collect(openData(folder, INPUT, { batchSize: 2, limit: 5 }));
    assert.deepEqual(limited.map((b) => b.x!.dims[0]), [2, 2, 1]);
    writeFileSync(path.join(dir, "bad.npy"), encodeNpy(new Tensor("float32", new Float32Array(10), [2, 5])));
    await assert.rejects(collect(openData(path.join(dir, "bad.npy"), INPUT)), (e: unknown) => e instanceof DataError && /bad\.npy: has items of shape \[5\], but input 'x' takes \[2, 3\]/.test(e.message));
    await assert.rejects(collect(openData(path.join(dir, "missing"), INPUT)), /missing: no such file or folder/);
  });
});

test("images decode, resize and normalize; a TypeScript module can supply samples", async () => {
  await withTempDir(async (dir) => {
    const png = new PNG({ width: 4, height: 2 });
    for (let i = 0; i < 8; i++) png.data.set([i * 30, 255 - i * 30, 10, 255], i * 4);
    const bytes = PNG.sync.write(png);
    const rgb = imageToCHW(bytes, "a.png", 3, 2, 4, { scale: 1, mean: [0], std: [1] });
    assert.deepEqual(Array.from(rgb.slice(0, 8)), [0, 30, 60, 90, 120, 150, 180, 210], "red channel, same size");
    const half = imageToCHW(bytes, "a.png", 3, 1, 2, { scale: 1 });
    assert.deepEqual(Array.from(half.slice(0, 2)), [75, 135], "bilinear halving averages 2×2 blocks");
    const grey = imageToCHW(bytes, "a.png", 1, 2, 4, { scale: 1 / 255, mean: [0.5], std: [0.5] });
    assert.ok(grey.every((v) => v >= -1 && v <= 1));
    const jpg = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 128), width: 8, height: 8 }, 100).data;
    const flat = imageToCHW(jpg, "b.jpg", 3, 8, 8, { scale: 1 });
    assert.ok(flat.every((v) => Math.abs(v - 128) <= 2), "a flat JPEG stays flat");

    const module = path.join(dir, "samples.ts");
    writeFileSync(module, `import { Tensor } from "qkit";\nexport default async function* () {\n  for (let i = 0; i < 5; i++) yield { x: new Tensor("float32", new Float32Array(6).fill(i), [1, 2, 3]) };\n}\n`);
    const batches = await collect(openData(module, INPUT, { batchSize: 2 }));
    assert.deepEqual(batches.map((b) => b.x!.dims[0]), [2, 2, 1]);
    const broken = path.join(dir, "broken.ts");
    writeFileSync(broken, `export default [{ y: 1 }];\n`);
    await assert.rejects(collect(openData(broken, INPUT)), /broken\.ts: sample 0 has no Tensor for input 'x'/);
  });
});
