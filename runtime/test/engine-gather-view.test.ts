import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTensor } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// A Gather of one constant index with nothing outside the gathered axis picks one contiguous run of its input: the
// plan makes it a view (no step, no copy). Each case checks the values against the definition and that no Gather
// step is left.

const index = (name: string, i: number) => makeTensor(name, "int64", [], BigInt64Array.of(BigInt(i)));

function iota(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i - 7);
}

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>) {
  const session = await createSession(bytes, { threads: 1 });
  try {
    const steps = session.planFor(feeds).steps.map((s) => s.node.opType);
    const outs = await session.run(feeds);
    const copy = Object.fromEntries(Object.entries(outs).map(([n, t]) => [n, Array.from(t.data as Float32Array)]));
    return { steps, outs: copy, dims: Object.fromEntries(Object.entries(outs).map(([n, t]) => [n, t.dims])) };
  } finally {
    await session.release();
  }
}

test("Gather of one index along the outermost axis is a view: q, k, v of a stacked projection, the last step", async () => {
  const dims = [3, 2, 5];
  const bytes = modelBytes({
    name: "pick",
    node: [
      node("Relu", ["x"], ["r"]),
      node("Gather", ["r", "one"], ["q"], [], "pick_q"),
      node("Gather", ["r", "last"], ["v"], [], "pick_v"),
      node("Add", ["q", "v"], ["y"]),
      node("Gather", ["r", "zero"], ["first"], [], "pick_first"),
    ],
    initializer: [index("one", 1), index("last", -1), index("zero", 0)],
    input: [valueInfo("x", "float32", dims)],
    output: [valueInfo("y", "float32", [2, 5]), valueInfo("first", "float32", [2, 5])],
  });
  const x = iota(30);
  const { steps, outs } = await run(bytes, { x: new Tensor("float32", x, dims) });
  assert.deepEqual(steps.filter((s) => s === "Gather"), [], `steps: ${steps.join(", ")}`);
  const want = Array.from({ length: 10 }, (_, i) => Math.max(0, x[10 + i]!) + Math.max(0, x[20 + i]!));
  assert.deepEqual(outs.y, want);
  // The view at offset 0 is the first third of its input, not all of it.
  assert.deepEqual(outs.first, Array.from({ length: 10 }, (_, i) => Math.max(0, x[i]!)));
});

test("a view of a view starts where both offsets add up (Gather of a Gather, then Reshape)", async () => {
  const dims = [3, 4, 5];
  const bytes = modelBytes({
    name: "pick2",
    node: [
      node("Relu", ["x"], ["r"]),
      node("Gather", ["r", "two"], ["a"]),
      node("Gather", ["a", "one"], ["b"]),
      node("Reshape", ["b", "shape"], ["c"]),
      node("Neg", ["c"], ["y"]),
    ],
    initializer: [index("two", 2), index("one", 1), makeTensor("shape", "int64", [2], BigInt64Array.of(1n, 5n))],
    input: [valueInfo("x", "float32", dims)],
    output: [valueInfo("y", "float32", [1, 5])],
  });
  const x = iota(60);
  const { steps, outs, dims: outDims } = await run(bytes, { x: new Tensor("float32", x, dims) });
  assert.deepEqual(steps.filter((s) => s === "Gather"), []);
  assert.deepEqual(outDims.y, [1, 5]);
  assert.deepEqual(outs.y, Array.from({ length: 5 }, (_, i) => -Math.max(0, x[2 * 20 + 5 + i]!) + 0));
});

test("a Gather view of a fed uint8 input along an inner axis of extent-1 outer axes", async () => {
  const dims = [1, 3, 4];
  const bytes = modelBytes({
    name: "pick8",
    node: [node("Gather", ["x", "two"], ["y"], [{ name: "axis", type: 2, i: 1 }])],
    initializer: [index("two", 2)],
    input: [valueInfo("x", "uint8", dims)],
    output: [valueInfo("y", "uint8", [1, 4])],
  });
  const x = Uint8Array.from({ length: 12 }, (_, i) => 200 + i);
  const { steps, outs } = await run(bytes, { x: new Tensor("uint8", x, dims) });
  assert.deepEqual(steps, []);
  assert.deepEqual(outs.y, [208, 209, 210, 211]);
});

test("a constant Gather index out of range fails while planning, naming the node", async () => {
  const bytes = modelBytes({
    name: "bad",
    node: [node("Relu", ["x"], ["r"]), node("Gather", ["r", "far"], ["y"], [], "pick_far")],
    initializer: [index("far", 3)],
    input: [valueInfo("x", "float32", [3, 2])],
    output: [valueInfo("y", "float32", [2])],
  });
  const session = await createSession(bytes, { threads: 1 });
  try {
    await assert.rejects(session.run({ x: new Tensor("float32", iota(6), [3, 2]) }), /pick_far.*index 3 is out of range for a dimension of 3/s);
  } finally {
    await session.release();
  }
});
