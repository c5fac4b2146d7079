import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { sharedFile, skipUnlessSharedFile } from "./helpers/data.js";

/** Raw little-endian float32 from the zoo. */
function floats(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

interface ZooEntry {
  file: string;
  reference: { input: string; input_shape: number[]; output: string };
}

// The zoo models that run on the recurrent, Resize and ConvTranspose kernels, against onnxruntime-node's outputs.
for (const [name, kernels] of [["lstm_kws", []], ["unet_small", ["col2im", "resize-linear"]]] as const) {
  test(`zoo ${name} matches onnxruntime's output within 1e-4 (1 and 2 threads)`, { skip: skipUnlessSharedFile("zoo/manifest.json") }, async () => {
    const manifest = JSON.parse(readFileSync(sharedFile("zoo/manifest.json")!, "utf8")) as { models: Record<string, ZooEntry> };
    const entry = manifest.models[name]!;
    const at = (f: string) => path.join(path.dirname(sharedFile("zoo/manifest.json")!), f);
    const input = floats(at(entry.reference.input));
    const want = floats(at(entry.reference.output));
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    for (const threads of [1, 2]) {
      const session = await createSession(at(entry.file), { threads });
      try {
        const out = await session.run({ [session.inputNames[0]!]: new Tensor("float32", input, entry.reference.input_shape) });
        const got = out[session.outputNames[0]!]!.data as Float32Array;
        assert.equal(got.length, want.length);
        for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * scale, `element ${i}: ${got[i]} vs ${want[i]} (${threads} threads)`);
        const runs = session.kernelRuns();
        for (const k of kernels) assert.ok((runs[k] ?? 0) > 0, `${k} ran (${JSON.stringify(runs)})`);
      } finally {
        await session.release();
      }
    }
  });
}
