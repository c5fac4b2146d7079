import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, loadModel, ModelLoadError, onnx, makeTensor, printable } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { checkSource } from "./helpers/check-source.js";

const conv = (attrs: onnx.IAttributeProto[], weight: onnx.ITensorProto = makeTensor("w", "float32", [2, 1, 3, 3], new Float32Array(18)), name = "conv1") =>
  modelBytes({
    node: [node("Conv", ["x", "w"], ["y"], attrs, name)],
    initializer: [weight],
    input: [valueInfo("x", "float32", [1, 1, 5, 5])],
    output: [valueInfo("y", "float32", [1, 2, 3, 3])],
  });

async function refused(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel(bytes, { name: "m.onnx" }), (error: unknown) => {
    assert.ok(error instanceof ModelLoadError, String(error));
    assert.match(error.message, /^m\.onnx: /);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /Maximum call stack|Infinity|undefined/);
    assert.ok(!/[\n\r]/.test(error.message), `one line: ${JSON.stringify(error.message)}`);
    return true;
  });
}

test("attributes and initializers are checked against the operator's schema on load", async () => {
  await loadModel(conv([attributes.intsAttribute("pads", [1, 1, 1, 1])]), { name: "m.onnx" });
  await refused(conv([], new onnx.TensorProto({ name: "w", dataType: 1, dims: [2, 1, 3, 3] })),
    /initializer 'w' is float32\[2, 1, 3, 3\] \(18 values\) but stores 0/);
  await refused(conv([attributes.tensorAttribute("pads", makeTensor("", "int64", [4], new BigInt64Array(4)))]),
    /node 'conv1' \(Conv\) gives attribute 'pads' as TENSOR; Conv takes INTS/);
  await refused(conv([attributes.intsAttribute("pads", [-1, 0, 0, 0])]), /node 'conv1' \(Conv\) has pads \[-1, 0, 0, 0\]; each must be 0 or more/);
  await refused(conv([attributes.intsAttribute("strides", [0, 1])]), /node 'conv1' \(Conv\) has strides \[0, 1\]; each must be 1 or more/);
  await refused(conv([attributes.intAttribute("group", 0)]), /node 'conv1' \(Conv\) has group 0/);
  await refused(conv([attributes.intAttribute("padding", 1)]), /node 'conv1' \(Conv\) has attribute 'padding', which Conv does not define \(it takes auto_pad, kernel_shape, pads, strides, dilations, group\)/);
  await refused(conv([attributes.intAttribute("group", 1), attributes.intAttribute("group", 1)]), /attribute 'group' twice/);
});

test("a duplicated output is reported as such, not as a missing producer", async () => {
  const graph = {
    node: [node("Relu", ["x"], ["y"], [], "a"), node("Sigmoid", ["x"], ["y"], [], "b")],
    input: [valueInfo("x", "float32", [2])], output: [valueInfo("y", "float32", [2])],
  };
  await refused(modelBytes(graph), /tensor 'y' is produced twice, by node 'a' and by node 'b'/);
  await refused(modelBytes({ ...graph, node: [node("Relu", ["x"], ["x"], [], "a")] }), /tensor 'x' is produced twice, by a graph input and by node 'a'/);
  await refused(modelBytes({ ...graph, node: [node("Split", ["x"], ["y", "y"], [], "s")] }), /node 's' lists output 'y' twice/);
});

/** Wire-format bytes of a model whose If nodes nest then_branch graphs `depth` deep (built iteratively). */
function nestedIfs(depth: number): Uint8Array {
  const varint = (n: number) => { const out: number[] = []; while (n > 127) { out.push((n & 127) | 128); n >>>= 7; } out.push(n); return Buffer.from(out); };
  const field = (tag: number, ...parts: Uint8Array[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([varint(tag), varint(body.length), body]);
  };
  const text = (s: string) => Buffer.from(s);
  let graph: Uint8Array = Buffer.alloc(0);
  for (let i = 0; i < depth; i++) {
    const attribute = Buffer.concat([field(0x0a, text("then_branch")), Buffer.from([0xa0, 0x01, 5]), field(0x32, graph)]);
    graph = field(0x0a, field(0x1a, text(`if${i}`)), field(0x22, text("If")), field(0x2a, attribute));
  }
  return Buffer.concat([Buffer.from([0x08, 8]), field(0x42, Buffer.from([0x10, 17])), field(0x3a, graph)]);
}

test("subgraphs nested thousands deep: one line saying so, at any depth", async () => {
  await refused(nestedIfs(100), /node 'if35' nests subgraphs more than 64 deep/);
  await refused(nestedIfs(5000), /nests subgraphs/);
});

test("control characters in names are escaped in messages, which stay one line", async () => {
  assert.equal(printable("a\nb\u001b[2Jc\u2028"), "a\\nb\\u001b[2Jc\\u2028");
  await refused(conv([attributes.intAttribute("pad\ns", 1)], undefined, "conv\r\n1"), /node 'conv\\r\\n1' \(Conv\) has attribute 'pad\\ns'/);
});

test("an async annotate is an error at the class: annotate must be synchronous", async () => {
  const { findings } = await checkSource([
    'import { Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";',
    "export default class Later extends Quantizer {",
    "  // @ts-expect-error annotate is synchronous",
    "  async annotate(model: GraphModule) {",
    "    await Promise.resolve();",
    '    throw new Error("after the check");',
    "  }",
    "}",
  ].join("\n"));
  const async = findings.find((f) => f.code === "annotate-async");
  assert.ok(async, JSON.stringify(findings.map((f) => f.code)));
  assert.equal(async.severity, "error");
  assert.match(async.message, /Later\.annotate is async .*annotate must be synchronous/);
  assert.ok(!findings.some((f) => f.code === "nothing-annotated"), "no misleading 'nothing annotated'");
});
