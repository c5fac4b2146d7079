import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { crc32, deflateRawSync } from "node:zlib";
import { makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { encodeNpy, parseNpy } from "../src/data/npy.js";
import { parseNpz } from "../src/data/npz.js";
import { runCommand } from "../src/cli/run-command.js";
import { EXAMPLES, withTempDir } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");

/** A zip archive as np.savez (stored) or np.savez_compressed (deflated) writes it. */
function zip(members: [string, Uint8Array][], deflate: boolean): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of members) {
    const body = deflate ? deflateRawSync(data) : Buffer.from(data);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

function images(n: number): Float32Array {
  return new Float32Array(n * 784).map((_, i) => Math.cos(i * 0.013));
}

async function direct(x: Float32Array, n: number): Promise<Float32Array> {
  const s = await createSession(MODEL);
  try {
    return (await s.run({ input: new Tensor("float32", x, [n, 1, 28, 28]) })).logits!.data as Float32Array;
  } finally {
    await s.release();
  }
}

test("qkit run: an .npy input gives .npy outputs equal to a session run", async () => {
  await withTempDir(async (dir) => {
    const x = images(3);
    writeFileSync(path.join(dir, "x.npy"), encodeNpy(new Tensor("float32", x, [3, 1, 28, 28])));
    const code = await runCommand.run([MODEL, "--input", `input=${path.join(dir, "x.npy")}`, "--output-dir", path.join(dir, "out")]);
    assert.equal(code, 0);
    const out = parseNpy(readFileSync(path.join(dir, "out", "logits.npy")), "logits.npy");
    assert.equal(out.type, "float32");
    assert.deepEqual(out.dims, [3, 10]);
    assert.deepEqual(out.data, await direct(x, 3));
  });
});

test("qkit run: .npz archives (stored and deflated) and TensorProto .pb inputs", async () => {
  await withTempDir(async (dir) => {
    const x = images(2);
    const npy = encodeNpy(new Tensor("float32", x, [2, 1, 28, 28]));
    for (const deflate of [false, true]) {
      const file = path.join(dir, deflate ? "c.npz" : "s.npz");
      writeFileSync(file, zip([["input.npy", npy]], deflate));
      assert.deepEqual(parseNpz(readFileSync(file), file).get("input")!.data, x);
      assert.equal(await runCommand.run([MODEL, "--input", file, "--output-dir", path.join(dir, String(deflate))]), 0);
      assert.deepEqual(parseNpy(readFileSync(path.join(dir, String(deflate), "logits.npy")), "logits.npy").data, await direct(x, 2));
    }
    const pb = path.join(dir, "x.pb");
    writeFileSync(pb, onnx.TensorProto.encode(makeTensor("input", "float32", [2, 1, 28, 28], x)).finish());
    assert.equal(await runCommand.run([MODEL, "-i", pb, "-o", path.join(dir, "pb")]), 0);
    assert.deepEqual(parseNpy(readFileSync(path.join(dir, "pb", "logits.npy")), "logits.npy").data, await direct(x, 2));
  });
});

test("qkit run: a wrongly shaped input fails with one line naming it", async () => {
  await withTempDir(async (dir) => {
    writeFileSync(path.join(dir, "x.npy"), encodeNpy(new Tensor("float32", images(1), [1, 28, 28])));
    await assert.rejects(runCommand.run([MODEL, "--input", `input=${path.join(dir, "x.npy")}`, "-o", dir]),
      /input 'input': expected shape \[.*\] \(rank 4\), got \[1, 28, 28\]/);
  });
});

test("qkit run: an output .npy cannot hold writes nothing, and files it replaces are swapped whole", async () => {
  await withTempDir(async (dir) => {
    const graph = new onnx.GraphProto({
      name: "float-and-string",
      node: [node("Identity", ["x"], ["y"]), node("Identity", ["s"], ["t"])],
      input: [valueInfo("x", "float32", [2]), valueInfo("s", "string", [1])],
      output: [valueInfo("y", "float32", [2]), valueInfo("t", "string", [1])],
    });
    const model = path.join(dir, "m.onnx");
    writeFileSync(model, modelBytes(graph));
    const x = path.join(dir, "x.npy");
    writeFileSync(x, encodeNpy(new Tensor("float32", new Float32Array([1, 2]), [2])));
    const s = path.join(dir, "s.pb");
    writeFileSync(s, onnx.TensorProto.encode(new onnx.TensorProto({ name: "s", dataType: 8, dims: [1], stringData: [Buffer.from("a")] })).finish());
    const out = path.join(dir, "out");
    mkdirSync(out);
    writeFileSync(path.join(out, "y.npy"), "kept");
    await assert.rejects(runCommand.run([model, "-i", `x=${x}`, "-i", `s=${s}`, "-o", out]), /output 't' holds strings/);
    assert.deepEqual(readdirSync(out), ["y.npy"], "no output written, no temporary file left");
    assert.equal(readFileSync(path.join(out, "y.npy"), "utf8"), "kept", "the older y.npy is untouched");
  });
});
