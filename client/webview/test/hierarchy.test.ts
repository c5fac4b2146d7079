import { test } from "node:test";
import assert from "node:assert/strict";
import type { GraphModelNode } from "qkit-language-server/protocol";
import { moduleTree, pathTo, visibleGraph } from "../src/hierarchy";
import { layout } from "../src/layout";

function node(name: string, opType: string, modules: string[], inputs: number[]): GraphModelNode {
  return { name, opType, modules, inputs, params: [], state: "annotated", int8: true, slots: [], groups: [] };
}

/** A ResNet-like export of 1,000 operators: 4 stages × 10 blocks × 25 ops, named as torch.onnx names them. */
function bigModel(): GraphModelNode[] {
  const nodes = [node("input", "input", [], [])];
  for (let s = 1; s <= 4; s++) {
    for (let b = 0; b < 10; b++) {
      const block = [`layer${s}`, `layer${s}.${b}`];
      for (let k = 0; k < 25; k++) nodes.push(node(`/layer${s}/layer${s}.${b}/op${k}/Conv`, "Conv", [...block, `layer${s}.${b}.op${k}`], [nodes.length - 1]));
    }
  }
  nodes.push(node("output", "output", [], [nodes.length - 1]));
  return nodes;
}

test("a 1,000-node model opens folded to its top-level modules, and every node has a unit", () => {
  const nodes = bigModel();
  const modules = moduleTree(nodes);
  const visible = visibleGraph(nodes, modules, new Set());
  assert.deepEqual(visible.units.map((u) => u.id), ["0", "m:layer1", "m:layer2", "m:layer3", "m:layer4", "1001"]);
  assert.equal(visible.unitOf.length, nodes.length);
  assert.deepEqual(visible.edges, [
    { from: "0", to: "m:layer1" },
    { from: "m:layer1", to: "m:layer2" },
    { from: "m:layer2", to: "m:layer3" },
    { from: "m:layer3", to: "m:layer4" },
    { from: "m:layer4", to: "1001" },
  ]);
  assert.equal(modules.get("layer2.3")!.label, "layer2.3", "a numbered block keeps the exporter's name");
  assert.equal(modules.get("layer2.3.op4")!.label, "op4");
});

test("expanding a module frames its children, themselves folded; a one-node module is the node itself", () => {
  const nodes = bigModel();
  const modules = moduleTree(nodes);
  const visible = visibleGraph(nodes, modules, new Set(["layer2"]));
  assert.equal(visible.units.length, 6 - 1 + 10);
  assert.deepEqual(visible.frames, [{ path: "layer2", parent: undefined }]);
  assert.ok(visible.units.filter((u) => u.frame === "layer2").every((u) => u.kind === "module" && u.nodes.length === 25));
  const deeper = visibleGraph(nodes, modules, new Set(["layer2", "layer2.3"]));
  const inBlock = deeper.units.filter((u) => u.frame === "layer2.3");
  assert.equal(inBlock.length, 25);
  assert.ok(inBlock.every((u) => u.kind === "node"), "op modules hold one node each: no box around a single node");
  assert.deepEqual(pathTo(nodes.findIndex((n) => n.name === "/layer3/layer3.7/op2/Conv"), nodes, modules), ["layer3", "layer3.7"]);
});

test("a large graph without module names folds into runs of consecutive nodes", () => {
  const nodes = Array.from({ length: 1000 }, (_, i) => node(`n${i}`, "Relu", [], i ? [i - 1] : []));
  const visible = visibleGraph(nodes, moduleTree(nodes), new Set());
  assert.equal(visible.units.length, 25);
  assert.ok(visible.units.every((u) => u.kind === "module"));
  const small = nodes.slice(0, 100);
  assert.equal(visibleGraph(small, moduleTree(small), new Set()).units.length, 100, "a small flat graph is drawn as it is");
});

test("ELK lays out the folded 1,000-node model and an expanded block, each unit in a box inside its frame", async () => {
  const nodes = bigModel();
  const modules = moduleTree(nodes);
  const visible = visibleGraph(nodes, modules, new Set(["layer1", "layer1.0"]));
  const laid = await layout(visible, () => ({ width: 80, height: 30 }));
  for (const unit of visible.units) assert.ok(laid.boxes.has(unit.id), unit.id);
  const frame = laid.boxes.get("f:layer1.0")!;
  for (const unit of visible.units.filter((u) => u.frame === "layer1.0")) {
    const box = laid.boxes.get(unit.id)!;
    assert.ok(box.x >= frame.x && box.y >= frame.y && box.x + box.width <= frame.x + frame.width && box.y + box.height <= frame.y + frame.height, `${unit.id} inside its frame`);
  }
  // Top to bottom: each edge goes down the page.
  for (const e of visible.edges) assert.ok(laid.boxes.get(e.from)!.y < laid.boxes.get(e.to)!.y, `${e.from} above ${e.to}`);
});
