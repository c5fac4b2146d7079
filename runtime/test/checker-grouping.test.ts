import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel } from "../src/tooling.js";
import { EXAMPLES } from "./helpers/data.js";
import { checkSource } from "./helpers/check-source.js";

// A helper that makes the bias spec of every Conv, reading one observer more than derivedFrom lists: one mistake,
// made at one line, for five nodes.
const QUANTIZER = `import { DerivedQuantizationSpec, MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule, type Node } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: MinMaxObserver });
const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", observer: MinMaxObserver });

function biasSpec(input: Node, conv: Node) {
  return new DerivedQuantizationSpec({
    derivedFrom: [[input, conv]],
    deriveQparams: ([a, w]: any) => ({ scale: a.calculateQparams().scale[0] * w.calculateQparams().scale[0], zeroPoint: 0 }),
    dtype: "int32",
  });
}

export default class PerConv extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const conv of model.graph.calls("Conv")) {
      const [input, w, bias] = conv.args as Node[];
      conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[input!, act], [w!, weight], [bias!, biasSpec(input!, conv)]], outputQspec: act });
    }
    return model;
  }
}
`;

test("one mistake made at one line for every conv is one finding there, saying how many more and naming every node", async () => {
  const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
  const convs = model.graph.calls("Conv").map((n) => n.name).sort();
  const { findings } = await checkSource(QUANTIZER, { model });
  const arity = findings.filter((f) => f.code === "derived-arity-mismatch");
  assert.equal(arity.length, 1, JSON.stringify(arity.map((f) => f.message)));
  assert.equal(arity[0]!.location?.line, 7);
  assert.match(arity[0]!.message, new RegExp(`reads 2 observers; make derivedFrom and the function's parameter list the same length \\(and ${convs.length - 1} more like it from this line: ${convs.length} nodes in all\\)$`));
  assert.deepEqual([...arity[0]!.nodes].sort(), convs);
});
