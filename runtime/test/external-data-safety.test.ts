import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { loadModel, ModelLoadError, onnx } from "../src/tooling.js";
import { withTempDir } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** A model adding a 4-float initializer `w` kept in an external file. */
function externalModel(location: string, extra: Record<string, string> = {}): Uint8Array {
  const w = new onnx.TensorProto({
    name: "w", dataType: 1, dims: [4], dataLocation: EXTERNAL,
    externalData: [{ key: "location", value: location }, ...Object.entries(extra).map(([key, value]) => ({ key, value }))],
  });
  return modelBytes({
    node: [node("Add", ["x", "w"], ["y"])], initializer: [w],
    input: [valueInfo("x", "float32", [4])], output: [valueInfo("y", "float32", [4])],
  });
}

async function rejectsWith(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel(file), (error: unknown) => {
    assert.ok(error instanceof ModelLoadError, String(error));
    assert.equal(error.code, "external-data");
    assert.match(error.message, pattern);
    assert.ok(error.message.includes(file), "names the model file");
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
}

test("external data: a symlink leading out of the model's folder is refused, one inside it is followed", async () => {
  await withTempDir(async (dir) => {
    const outside = path.join(dir, "secret.bin");
    writeFileSync(outside, new Uint8Array(16).fill(7));
    const folder = path.join(dir, "model");
    mkdirSync(folder);
    symlinkSync(outside, path.join(folder, "w.bin"));
    const file = path.join(folder, "m.onnx");
    writeFileSync(file, externalModel("w.bin"));
    await rejectsWith(file, /tensor 'w' is stored in 'w\.bin', which leads outside the model's folder/);

    writeFileSync(path.join(folder, "real.bin"), new Uint8Array(16));
    symlinkSync("real.bin", path.join(folder, "alias.bin"));
    writeFileSync(file, externalModel("alias.bin"));
    const model = await loadModel(file);
    assert.equal(model.graph.producerOf("w")?.tensor?.rawData?.length, 16);
  });
});

test("external data: a FIFO is refused at once instead of waiting for a writer", { skip: process.platform === "win32" && "no FIFOs" }, async () => {
  await withTempDir(async (dir) => {
    execFileSync("mkfifo", [path.join(dir, "w.bin")]);
    const file = path.join(dir, "m.onnx");
    writeFileSync(file, externalModel("w.bin"));
    await rejectsWith(file, /tensor 'w' is stored in 'w\.bin', which is not a regular file/);
  });
});

test("external data: offsets and lengths must be decimal integers", async () => {
  await withTempDir(async (dir) => {
    writeFileSync(path.join(dir, "w.bin"), new Uint8Array(4096));
    const file = path.join(dir, "m.onnx");
    for (const [key, value] of [["offset", "1e3"], ["offset", "-16"], ["length", "0x10"], ["length", "16.0"], ["offset", " 16"]] as const) {
      writeFileSync(file, externalModel("w.bin", { [key]: value }));
      await rejectsWith(file, new RegExp(`tensor 'w' has external data ${key} '${value.replace(/[.+]/g, "\\$&")}'; it must be a decimal integer`));
    }
    writeFileSync(file, externalModel("w.bin", { offset: "64", length: "16" }));
    await loadModel(file);
  });
});
