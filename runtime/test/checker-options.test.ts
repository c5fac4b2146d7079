import { test } from "node:test";
import assert from "node:assert/strict";
import { closestOption } from "../src/quantizer/options.js";
import { SPEC_OPTIONS } from "../src/quantizer/specs.js";
import { QuantizationSpec, MinMaxObserver } from "../src/tooling.js";
import { checkSource } from "./helpers/check-source.js";

test("an unknown option names the one it most likely meant: PT2E's snake_case, typos; none when nothing is close", () => {
  const observed = SPEC_OPTIONS.observed;
  assert.equal(closestOption("quant_min", observed), "quantMin");
  assert.equal(closestOption("ch_axis", observed), "chAxis");
  assert.equal(closestOption("is_dynamic", observed), "isDynamic");
  assert.equal(closestOption("qschme", observed), "qscheme");
  assert.equal(closestOption("observer_or_fake_quant_ctr", observed), undefined);
  assert.equal(closestOption("output_qspec", ["inputQspecMap", "outputQspec", "allowImplicitSharing", "annotated"]), "outputQspec");
});

// Annotations made in a loop, each given PT2E's `output_qspec`: one finding at the line, naming every node.
const QUANTIZER = `import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: MinMaxObserver });

export default class Loop extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const relu of model.graph.calls("Relu")) {
      relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu.args[0]!, act]], output_qspec: act } as never);
    }
    return model;
  }
}
`;

test("the same unknown annotation option on every node of a loop is one finding at its line, with the count and every node", async () => {
  const { findings } = await checkSource(QUANTIZER);
  const unknown = findings.filter((f) => f.code === "unknown-option");
  assert.deepEqual(unknown.map((f) => [f.location?.line, f.message]), [[8, "QuantizationAnnotation has no option `output_qspec`, so it was ignored; did you mean `outputQspec`? (on 5 nodes)"]]);
  assert.equal(unknown[0]!.nodes.length, 5);
});

test("a spec made by spreading another (`{ ...spec, chAxis: 1 }`) has no unknown options", async () => {
  const base = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_channel_symmetric", observer: MinMaxObserver });
  assert.deepEqual(new QuantizationSpec({ ...base, chAxis: 1 }).unknownOptions, []);
  assert.deepEqual(new QuantizationSpec({ ...base, quant_max: 100 } as never).unknownOptions, ["quant_max"]);
});
