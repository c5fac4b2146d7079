import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileSync, readFileSync } from "node:fs";
import { loadModel, saveModel, getSourcePartitions, moduleStackFromName, onnx, attributes, GraphLintError, type Node } from "../src/tooling.js";
import { EXAMPLES, sharedModel, skipUnlessShared, withTempDir } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const example = () => loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));

test("every value has one producer: inputs are placeholders, initializers parameters, operators calls", async () => {
  const model = await example();
  const g = model.graph;
  assert.deepEqual(g.placeholders().map((n) => n.name), ["input"]);
  assert.equal(g.parameters().length, 12);
  assert.equal(g.calls().length, 16);
  const conv1 = g.node("/conv1/Conv")!;
  assert.deepEqual(conv1.args.map((a) => a?.kind), ["placeholder", "parameter", "parameter"]);
  assert.ok(g.node("input")!.users.has(conv1));
  assert.deepEqual(conv1.meta.moduleStack, [{ path: "conv1", name: "conv1" }]);
  assert.deepEqual(g.outputs.map((o) => o.valueName), ["logits"]);
  assert.equal(g.nodes.at(-1), g.outputNode);
  g.lint();
});

test("multi-output operators expose one getitem node per output, and save back as one ONNX node", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "split.onnx");
    writeFileSync(file, modelBytes({
      name: "split",
      node: [
        node("Split", ["x"], ["a", "b"], [attributes.intAttribute("axis", 1)], "split"),
        node("Mul", ["a", "b"], ["y"], [], "mul"),
      ],
      input: [valueInfo("x", "float32", ["n", 4])],
      output: [valueInfo("y", "float32", ["n", 2])],
    }));
    const model = await loadModel(file);
    const g = model.graph;
    const split = g.node("split")!;
    assert.ok(split.isMultiOutput);
    const [a, b] = g.getitems(split);
    assert.equal(a!.kind, "getitem");
    assert.deepEqual([a!.index, b!.index], [0, 1]);
    assert.deepEqual(g.node("mul")!.args, [a, b]);
    assert.deepEqual(a!.meta.shape, ["n", 2]);
    assert.match(g.toString(), /%a: float32\[n,2\] = %split\[0\]/);
    g.lint();
    await saveModel(model, path.join(dir, "again.onnx"));
    const proto = onnx.ModelProto.decode(readFileSync(path.join(dir, "again.onnx")));
    assert.deepEqual(proto.graph!.node!.map((n) => `${n.opType}:${n.output!.join(",")}`), ["Split:a,b", "Mul:y"]);
    const ort = await import("onnxruntime-node");
    const session = await ort.InferenceSession.create(path.join(dir, "again.onnx"));
    const result = await session.run({ x: new ort.Tensor("float32", Float32Array.of(1, 2, 3, 4), [1, 4]) });
    assert.deepEqual(Array.from(result.y!.data as Float32Array), [3, 8]);
  });
});

test("the mutation API inserts, rewires and erases nodes, and the result runs in ONNX Runtime", async () => {
  const ort = await import("onnxruntime-node");
  await withTempDir(async (dir) => {
    const model = await example();
    const g = model.graph;
    const gemm = g.node("/fc/Gemm")!;
    const relu = g.addCall("Relu", [gemm], { name: "final_relu" }, { after: gemm });
    assert.deepEqual(gemm.replaceAllUsesWith(relu, (user) => user !== relu), [g.outputNode]);
    assert.deepEqual(relu.args, [gemm]);
    assert.deepEqual([...gemm.users], [relu]);
    g.lint();
    assert.throws(() => g.eraseNode(gemm), /still used by final_relu/);
    const dead = g.addCall("Neg", [gemm], { name: "unused" });
    g.eraseNode(dead);
    assert.equal(g.node("unused"), undefined);
    assert.ok(!gemm.users.has(dead));
    g.lint();

    const out = path.join(dir, "relu.onnx");
    await saveModel(model, out);
    const input = new Float32Array(28 * 28).map((_, i) => Math.cos(i / 7));
    const run = async (file: string) => {
      const session = await ort.InferenceSession.create(file);
      const r = await session.run({ input: new ort.Tensor("float32", input, [1, 1, 28, 28]) });
      return Array.from(r[session.outputNames[0]!]!.data as Float32Array);
    };
    const before = await run(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
    assert.deepEqual(await run(out), before.map((v) => Math.max(0, v)));
  });
});

test("lint reports each broken invariant", async () => {
  const model = await example();
  const g = model.graph;
  const relu = g.node("/relu1/Relu")!;
  const conv = g.node("/conv1/Conv")!;
  g.move(relu, { before: conv });
  assert.throws(() => g.lint(), (e: unknown) => e instanceof GraphLintError && /\/relu1\/Relu uses \/conv1\/Conv, which comes later/.test(e.message));
  g.move(relu, { after: conv });
  g.lint();
  const param = g.parameters()[0]!;
  const tensor = param.tensor;
  param.tensor = undefined;
  assert.match(g.lintProblems().join("\n"), /parameter .* has no tensor/);
  param.tensor = tensor;
  g.lint();
});

test("module stacks are recovered from exporter names", () => {
  assert.deepEqual(moduleStackFromName("/layer1/layer1.0/conv1/Conv"), [
    { path: "layer1", name: "layer1" },
    { path: "layer1.0", name: "layer1.0" },
    { path: "layer1.0.conv1", name: "conv1" },
  ]);
  assert.deepEqual(moduleStackFromName("/Add"), []);
  assert.deepEqual(moduleStackFromName("Conv_0"), []);
});

test("ResNet-18: Identity-routed shared biases are folded, source partitions know inputs, outputs and params", { skip: skipUnlessShared("resnet18_op13.onnx") }, async () => {
  const model = await loadModel(sharedModel("resnet18_op13.onnx")!);
  assert.equal(model.normalization.identitiesFolded, 16);
  assert.equal(model.graph.calls("Identity").length, 0);
  const partitions = getSourcePartitions(model.graph, ["Conv", "Add", "Gemm"]);
  assert.equal(partitions.Conv!.length, 20);
  assert.equal(partitions.Add!.length, 8);
  for (const p of partitions.Conv!) {
    assert.equal(p.inputNodes.length, 1);
    assert.equal(p.params.length, 2);
    assert.deepEqual(p.outputNodes, p.nodes);
  }
  for (const p of partitions.Add!) assert.equal(p.inputNodes.length, 2);
  const layer1 = getSourcePartitions(model.graph, ["Conv"], (n: Node) => n.meta.moduleStack?.[0]?.path === "layer1");
  assert.equal(layer1.Conv!.length, 4);
  const conv = model.graph.node("/layer4/layer4.1/conv2/Conv")!;
  assert.deepEqual(conv.meta.shape, ["batch", 512, 7, 7]);
  assert.equal(conv.meta.moduleStack!.at(-1)!.path, "layer4.1.conv2");
});

test("MobileNet-V2: Constant nodes become parameters and are written back as Constant nodes", { skip: skipUnlessShared("mobilenet_v2_op13.onnx") }, async () => {
  await withTempDir(async (dir) => {
    const model = await loadModel(sharedModel("mobilenet_v2_op13.onnx")!);
    assert.equal(model.normalization.constantsFolded, 70);
    for (const clip of model.graph.calls("Clip")) {
      assert.deepEqual(clip.args.slice(1).map((a) => a?.kind), ["parameter", "parameter"]);
      assert.equal(clip.args[1]!.meta.origin, "constant");
    }
    await saveModel(model, path.join(dir, "m.onnx"));
    const proto = onnx.ModelProto.decode(readFileSync(path.join(dir, "m.onnx")));
    assert.equal(proto.graph!.node!.filter((n) => n.opType === "Constant").length, 70);
    assert.equal(proto.graph!.initializer!.length, 106);
  });
});

test("the text form reads like print(gm.graph): typed values, args, attributes and module paths", async () => {
  const text = (await example()).graph.toString();
  const lines = text.split("\n");
  assert.equal(lines[0], 'graph "torch_jit"(%input: float32[batch,1,28,28]) {');
  assert.ok(lines.includes("  %onnx::Conv_55: float32[16,1,3,3] = parameter"));
  assert.ok(lines.includes("  %/conv1/Conv: float32[batch,16,28,28] = Conv(%input, %onnx::Conv_55, %onnx::Conv_56) {dilations=[1,1], group=1, kernel_shape=[3,3], pads=[1,1,1,1], strides=[1,1]}  # conv1"));
  assert.ok(lines.includes("  %/Add: float32[batch,64,7,7] = Add(%/relu3/Relu, %/conv5/Conv)"));
  assert.equal(lines.at(-2), "  return (%/fc/Gemm)");
  assert.equal(text, (await example()).graph.toString(), "stable across loads");
});

test("isShapeOperand: a value whose every use ends in a shape operand, directly or through arithmetic; kept until the graph changes", async () => {
  const model = await loadModel(modelBytes({
    name: "scales",
    input: [valueInfo("x", "float32", [1, 2, 4, 4])],
    output: [valueInfo("y", "float32", [1, 2, 8, 8])],
    initializer: [onnx.TensorProto.create({ name: "factors", dataType: 1, dims: [4], floatData: [1, 1, 2, 2] })],
    node: [
      node("Relu", ["x"], ["r"]),
      node("Shape", ["r"], ["shape"]),
      node("Cast", ["shape"], ["shape_f"], [{ name: "to", type: 2, i: 1 }]),
      node("Div", ["shape_f", "shape_f"], ["ones"]),
      node("Mul", ["ones", "factors"], ["scales"]),
      node("Resize", ["r", "", "scales"], ["y"]),
    ],
  }, { opset: 13 }));
  const g = model.graph;
  const of = (op: string) => g.calls(op)[0]!;
  assert.deepEqual(["Shape", "Cast", "Div", "Mul"].map((op) => of(op).isShapeOperand), [true, true, true, true]);
  assert.equal(of("Relu").isShapeOperand, false, "the Relu is also the Resize's data");
  assert.equal(of("Resize").isShapeOperand, false);
  // Rewired so that the Resize also resizes its scales: the chain computing them now computes data too.
  const version = g.version;
  of("Resize").args = [of("Mul"), null, of("Mul")];
  assert.notEqual(g.version, version, "setting a node's arguments changes the graph's version");
  assert.deepEqual(["Shape", "Cast", "Div", "Mul"].map((op) => of(op).isShapeOperand), [false, false, false, false]);
});
