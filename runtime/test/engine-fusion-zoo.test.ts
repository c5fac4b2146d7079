import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { SHARED_ROOT, skipUnlessSharedFile } from "./helpers/data.js";

interface ZooEntry {
  file: string;
  inputs: { name: string }[];
  reference: { input: string; input_shape: number[]; output: string };
}

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Zoo models exported by PyTorch whose activations are decomposed chains, and the fused pass each must run. */
const CASES = [
  { name: "mobilenet_v3_small", fused: "unary:HardSwish" },
  { name: "vit_tiny", fused: "unary:Gelu" },
  { name: "fmnist_vit", fused: "unary:Gelu" },
];

for (const { name, fused } of CASES) {
  test(`${name}: the exporter's decomposed activations run fused (${fused}) and the output matches onnxruntime's within 1e-4`,
    { skip: skipUnlessSharedFile("zoo/manifest.json", `zoo/models/${name}.onnx`), timeout: 10 * 60 * 1000 }, async () => {
      const zoo = path.join(SHARED_ROOT, "zoo");
      const entry = (JSON.parse(readFileSync(path.join(zoo, "manifest.json"), "utf8")) as { models: Record<string, ZooEntry> }).models[name]!;
      const input = f32(path.join(zoo, entry.reference.input));
      const want = f32(path.join(zoo, entry.reference.output));
      const session = await createSession(path.join(zoo, entry.file));
      try {
        const out = await session.run({ [entry.inputs[0]!.name]: new Tensor("float32", input, entry.reference.input_shape) });
        const got = Object.values(out)[0]!.data as Float32Array;
        assert.equal(got.length, want.length);
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        assert.ok(worst <= 1e-4 * scale, `max abs error ${worst} (output scale ${scale})`);
        const runs = session.kernelRuns();
        assert.ok((runs[fused] ?? 0) > 0, `${fused} ran: ${JSON.stringify(runs)}`);
        assert.equal(runs["unary:Erf"], undefined, "no Erf ran on its own");
      } finally {
        await session.release();
      }
    });
}
