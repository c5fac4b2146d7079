import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, onnx } from "../src/tooling.js";
import { topologicalOrder } from "../src/graph/from-onnx.js";
import { normalizeGraph } from "../src/graph/normalize.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/** n operators in a chain x → t0 → t1 → …, a Constant before every fourth; `reversed` writes the file last node first. */
function chain(n: number, reversed = false): onnx.NodeProto[] {
  const nodes: onnx.NodeProto[] = [];
  let previous = "x";
  for (let i = 0; i < n; i++) {
    if (i % 4 === 3) {
      nodes.push(new onnx.NodeProto({ name: `k${i}`, opType: "Constant", output: [`k${i}`], attribute: [{ name: "value", type: 4, t: { dataType: 1, dims: [4], rawData: new Uint8Array(16) } }] }));
      nodes.push(node("Add", [previous, `k${i}`], [`t${i}`], [], `n${i}`));
    } else {
      nodes.push(node("Relu", [previous], [`t${i}`], [], `n${i}`));
    }
    previous = `t${i}`;
  }
  return reversed ? nodes.reverse() : nodes;
}

test("topological sort: O(n log n) heap steps for 50k nodes in any file order", () => {
  const n = 50_000;
  const log = Math.log2(n);
  // Many nodes ready at once (the costly case for a sorted ready list) and a chain written backwards.
  const wide = Array.from({ length: n }, (_, i) => node("Relu", ["x"], [`w${n - i}`], [], `w${n - i}`));
  for (const nodes of [wide, chain(n, true), chain(n)]) {
    const stats = { heapSteps: 0 };
    const order = topologicalOrder(nodes, new Set(["x"]), stats);
    assert.equal(order.length, nodes.length);
    assert.ok(stats.heapSteps <= 2 * nodes.length * log, `${stats.heapSteps} heap steps for ${nodes.length} nodes`);
  }
  // File order wins wherever it is valid.
  assert.deepEqual(topologicalOrder(wide, new Set(["x"])).map((n) => n.name), wide.map((n) => n.name));
});

test("a 100k-node chain written backwards loads (no deep recursion), in order, its Constants folded", async () => {
  const n = 100_000;
  const last = `t${n - 1}`;
  const model = await loadModel(modelBytes({
    node: chain(n, true), input: [valueInfo("x", "float32", [4])], output: [valueInfo(last, "float32", [4])],
  }), { name: "chain.onnx" });
  const calls = model.graph.calls();
  assert.equal(calls.length, n);
  assert.equal(calls[0]!.name, "n0");
  assert.equal(calls[n - 1]!.name, `n${n - 1}`);
  assert.equal(model.normalization.constantsFolded, n / 4);
  assert.deepEqual(model.graph.outputs.map((o) => o.valueName), [last]);
  assert.deepEqual(model.graph.node(last === calls[n - 1]!.valueName ? `n${n - 1}` : "")?.meta.shape, [4]);
  // Erasing and inserting in the middle keep indexOf and the order consistent.
  assert.equal(model.graph.indexOf(calls[10]!) < model.graph.indexOf(calls[11]!), true);
  assert.deepEqual(normalizeGraph(model.graph), { identitiesFolded: 0, constantsFolded: 0, batchNormsFolded: 0 });
});
