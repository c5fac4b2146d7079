import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as qkit from "qkit/tooling";

/**
 * A GPT-2 decoding step with its key/value cache (scripts/architectures: gpt2Decode), as a user runs it token after
 * token in one session: the prompt with an empty past (zero-length cache inputs), then steps of one token and of three
 * on longer pasts. Every output — the logits and each layer's present keys and values — against onnxruntime-node.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const [HEADS, HEAD_DIM, LAYERS] = [4, 64, 2];

test("a decoder's cache steps, from an empty past on, equal onnxruntime-node in one session", async () => {
  const { gpt2Decode } = (await import(pathToFileURL(path.join(ROOT, "scripts", "architectures", "sequence.mjs")).href)) as { gpt2Decode(o: typeof qkit.onnx): Uint8Array };
  const ort = await import("onnxruntime-node");
  const bytes = gpt2Decode(qkit.onnx);
  const reference = await ort.InferenceSession.create(bytes);
  for (const threads of [1, 2]) {
    const session = await qkit.createSession(bytes, { threads });
    try {
      for (const [past, sequence] of [[0, 8], [8, 1], [31, 1], [5, 3]] as const) {
        const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.8);
        const data: Record<string, { type: "int64" | "float32"; data: BigInt64Array | Float32Array; dims: number[] }> = {
          input_ids: { type: "int64", data: BigInt64Array.from({ length: sequence }, (_, i) => BigInt((i * 389 + past * 7 + 5) % 4000)), dims: [1, sequence] },
          attention_mask: { type: "int64", data: BigInt64Array.from({ length: past + sequence }, (_, i) => (i < 2 && past > 2 ? 0n : 1n)), dims: [1, past + sequence] },
        };
        for (let l = 0; l < LAYERS; l++) {
          for (const kv of ["key", "value"]) data[`past_${kv}_${l}`] = { type: "float32", data: values(HEADS * past * HEAD_DIM, l * 2 + kv.length), dims: [1, HEADS, past, HEAD_DIM] };
        }
        const want = await reference.run(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, new ort.Tensor(v.type, v.data, v.dims)])));
        const got = await session.run(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, new qkit.Tensor(v.type, v.data, v.dims)])));
        for (const name of reference.outputNames) {
          const where = `${name} after ${past} tokens, ${sequence} new (${threads} threads)`;
          assert.deepEqual(got[name]!.dims, [...want[name]!.dims], where);
          const [g, w] = [got[name]!.data as Float32Array, want[name]!.data as Float32Array];
          for (let i = 0; i < w.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-5 * Math.max(1, Math.abs(w[i]!)), `${where}, element ${i}: ${g[i]} vs ${w[i]}`);
        }
      }
    } finally {
      await session.release();
    }
  }
});
