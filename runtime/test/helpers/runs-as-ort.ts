import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createSession, Tensor } from "../../src/tooling.js";
import type { Feeds } from "./ort-run.js";

const ort = createRequire(__filename)("onnxruntime-node") as typeof import("onnxruntime-node");

/**
 * Every output of `bytes` on qkit (1 and 2 threads) against onnxruntime-node, shapes and values, over the feeds in turn
 * and the first again in the same session: a graph whose shapes depend on the data gets a plan per shape, and must
 * come back to the first one right.
 */
export async function assertRunsAsOrt(bytes: Uint8Array, feedsList: readonly Feeds[]): Promise<void> {
  const reference = await ort.InferenceSession.create(bytes);
  const type = (data: Float32Array | BigInt64Array) => (data instanceof BigInt64Array ? "int64" : "float32");
  for (const threads of [1, 2]) {
    const session = await createSession(bytes, { threads });
    try {
      for (const feeds of [...feedsList, feedsList[0]!]) {
        const want = await reference.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(type(v.data), v.data, v.dims)])));
        const got = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor(type(v.data), v.data, v.dims)])));
        for (const name of reference.outputNames) {
          assert.deepEqual(got[name]!.dims, want[name]!.dims, `${name}: shape (${threads} threads)`);
          const g = Array.from(got[name]!.data as ArrayLike<number | bigint>, Number);
          const w = Array.from(want[name]!.data as ArrayLike<number | bigint>, Number);
          g.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-5 * Math.max(1, Math.abs(w[i]!)), `${name}[${i}]: ${v} vs ${w[i]} (${threads} threads)`));
        }
      }
    } finally {
      await session.release();
    }
  }
}
