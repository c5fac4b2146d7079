import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, makeTensor, onnx } from "../src/tooling.js";
import { floatAttribute, intAttribute } from "../src/onnx/attributes.js";
import { openSession } from "../src/engine/session.js";
import { lookupOp } from "../src/engine/ops/registry.js";
import { QKIT_DOMAIN, QKIT_OPS, QKIT_SCHEMA, qkitArgs, qkitInputs } from "../src/qkit-ops/schema.js";
import { Tensor } from "../src/engine/tensor.js";
import { valueInfo } from "./helpers/build.js";

/** A model of one com.qkit.QAdd node (uint8), with its inputs and attributes as given. */
async function qaddModel(inputs: string[], attributes: onnx.IAttributeProto[] = []) {
  const model = new onnx.ModelProto({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }, { domain: QKIT_DOMAIN, version: 1 }],
    graph: {
      name: "qadd",
      input: [valueInfo("a", "uint8", [4]), valueInfo("b", "uint8", [4])],
      output: [valueInfo("y", "uint8", [4])],
      initializer: [
        makeTensor("s", "float32", [], Float32Array.of(0.1)),
        makeTensor("z", "uint8", [], Uint8Array.of(10)),
      ],
      node: [new onnx.NodeProto({ opType: "QAdd", domain: QKIT_DOMAIN, name: "the_add", input: inputs, output: ["y"], attribute: attributes })],
    },
  });
  return loadModel(onnx.ModelProto.encode(model).finish());
}

const FULL = ["a", "s", "z", "b", "s", "z", "s", "z"];

test("every com.qkit operator in the schema is one the engine runs, and no other", () => {
  for (const op of QKIT_OPS) assert.ok(lookupOp({ domain: QKIT_DOMAIN, opType: op } as never), op);
  assert.equal(lookupOp({ domain: QKIT_DOMAIN, opType: "QNoSuchOp" } as never), undefined);
  assert.deepEqual(Object.keys(QKIT_SCHEMA), [...QKIT_OPS]);
});

test("inputs by name give the positions lower() emits and the engine reads", () => {
  const at = qkitInputs("QConv");
  assert.equal(at.x, 0);
  assert.equal(at.wScale, 4);
  assert.equal(at.biasScale, 9);
  const args = qkitArgs("QAdd", { a: "a", aScale: "sa", b: "b", bScale: "sb", yScale: "sy" }, "");
  assert.deepEqual(args, ["a", "sa", "", "b", "sb", "", "sy", ""]);
  assert.throws(() => qkitArgs("QAdd", { a: "a", aScale: "sa", b: "b", yScale: "sy" }, ""), /QAdd emitted without its input bScale/);
});

test("a com.qkit node that fits its schema runs", async () => {
  const session = await openSession(await qaddModel(FULL, [floatAttribute("clamp_min", 0)]));
  try {
    const a = new Tensor("uint8", Uint8Array.of(10, 20, 30, 40), [4]);
    const out = await session.run({ a, b: a });
    // (a − 10)·0.1 twice, requantized at 0.1 with zero point 10.
    assert.deepEqual([...(out.y!.data as Uint8Array)], [10, 30, 50, 70]);
  } finally {
    await session.release();
  }
});

test("a com.qkit node against its schema: one line naming the node and the input or attribute", async () => {
  const cases: [string[], onnx.IAttributeProto[], RegExp][] = [
    [["a", "s", "z", "b", "", "z", "s", "z"], [], /^node 'the_add' \(com\.qkit\.QAdd\): missing input bScale \(position 4\);/],
    [[...FULL, "z"], [], /^node 'the_add' \(com\.qkit\.QAdd\): has 9 inputs; QAdd takes at most 8 /],
    [FULL, [intAttribute("clamp_max", 6)], /^node 'the_add' \(com\.qkit\.QAdd\): attribute 'clamp_max' must be a float;/],
    [FULL, [intAttribute("axis", 1)], /^node 'the_add' \(com\.qkit\.QAdd\): has attribute 'axis', which QAdd does not take \(it takes: clamp_min, clamp_max\);/],
  ];
  for (const [inputs, attributes, expected] of cases) {
    const model = await qaddModel(inputs, attributes);
    await assert.rejects(openSession(model), (error: Error) => {
      assert.match(error.message, expected);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    });
  }
});
