import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { makeTensor } from "../src/tooling.js";
import { Tensor, type InferenceSession } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { EXAMPLES } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// A steady run loop allocates nothing on the JavaScript heap beyond the output tensors it returns. The heap is
// counted, not timed: after a full collection the young generation is empty, so the growth of the used heap over a
// window of runs is exactly what those runs allocated (no collection fits in a window this small). The least of
// several windows is taken, so that a background compilation landing in one window does not count.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function bytesPerRun(run: () => void, warmUp = 300, runs = 100, windows = 5): number {
  for (let i = 0; i < warmUp; i++) run();
  let least = Infinity;
  for (let w = 0; w < windows; w++) {
    gc();
    const before = v8.getHeapStatistics().used_heap_size;
    for (let i = 0; i < runs; i++) run();
    const grown = v8.getHeapStatistics().used_heap_size - before;
    least = Math.min(least, grown / runs);
  }
  return least;
}

// The first window loop to run compiles on the way (code counts as heap): warm the counting itself up first.
bytesPerRun(() => {});

/** What runSync's result costs by itself: one copied Tensor per output in a record (the allowed allocation). */
function outputsOnly(outputs: Record<string, Tensor>): () => void {
  const entries = Object.entries(outputs);
  return () => {
    const result: Record<string, Tensor> = {};
    for (const [name, t] of entries) result[name] = new Tensor(t.type, (t.data as Float32Array).slice(), t.dims);
  };
}

/** Slack for what a window's own bookkeeping may allocate, per run: far below a single array or RtValue per step. */
const SLACK_BYTES = 16;

/**
 * Rounds of runs and counts until the run allocates no more than its outputs: the optimizing compiler works in the
 * background, later on a busy machine, and code it has not optimized yet may box numbers. An allocation the code
 * makes on purpose shows in every round, and the test fails after the last.
 */
const ROUNDS = 12;

async function assertAllocationFree(session: InferenceSession, feeds: Record<string, Tensor>, label: string): Promise<void> {
  const steps = session.planFor(feeds).steps.length;
  assert.ok(steps >= 4, `${label}: a plan of ${steps} steps says little`);
  const outputs = outputsOnly(session.runSync(feeds));
  bytesPerRun(() => session.runSync(feeds), 2000);
  let used = Infinity;
  let allowed = 0;
  for (let round = 0; round < ROUNDS && used > allowed + SLACK_BYTES; round++) {
    allowed = bytesPerRun(outputs);
    used = Math.min(used, bytesPerRun(() => session.runSync(feeds)));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(used <= allowed + SLACK_BYTES,
    `${label}: a run allocates ${used.toFixed(0)} bytes on the JavaScript heap, its output tensors ${allowed.toFixed(0)} (${steps} steps)`);
}

test("a steady run allocates nothing on the JavaScript heap beyond its output tensors (CNN)", async () => {
  const session = await createSession(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"), { threads: 1 });
  try {
    const x = new Float32Array(28 * 28).map((_, i) => Math.sin(i));
    await assertAllocationFree(session, { input: new Tensor("float32", x, [1, 1, 28, 28]) }, "fmnist_cnn_op13");
  } finally {
    await session.release();
  }
});

test("a steady run with int64 ids, an embedding and views of a fed input allocates nothing beyond its outputs", async () => {
  const ids = 24;
  const table = makeTensor("table", "float32", [50, 8], Float32Array.from({ length: 400 }, (_, i) => Math.cos(i)));
  const bytes = modelBytes({
    name: "embed",
    node: [
      node("Reshape", ["ids", "flat"], ["ids_flat"]),
      node("Gather", ["table", "ids_flat"], ["emb"]),
      node("Relu", ["emb"], ["r"]),
      node("Add", ["r", "emb"], ["s"]),
      node("Mul", ["s", "s"], ["y"]),
    ],
    initializer: [table, makeTensor("flat", "int64", [1], BigInt64Array.of(-1n))],
    input: [valueInfo("ids", "int64", [1, ids])],
    output: [valueInfo("y", "float32", [ids, 8])],
  });
  const session = await createSession(bytes, { threads: 1 });
  try {
    const data = BigInt64Array.from({ length: ids }, (_, i) => BigInt((i * 7) % 50));
    await assertAllocationFree(session, { ids: new Tensor("int64", data, [1, ids]) }, "embedding");
  } finally {
    await session.release();
  }
});
