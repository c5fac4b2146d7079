import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { Finding } from "../src/tooling.js";
import { checkSource } from "./helpers/check-source.js";

// A library of spec helpers in its own file, as teams share them: one function, and one spec made at load.
const LIBRARY = `import { MinMaxObserver, QuantizationSpec } from "qkit";

export function activation(quantMin: number) {
  return new QuantizationSpec({ dtype: "int8", quantMin, quantMax: 127, observer: MinMaxObserver });
}

export const wide = new QuantizationSpec({ dtype: "int8", quantMin: -300, quantMax: 127, observer: MinMaxObserver });
`;

const QUANTIZER = `import { Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation, wide } from "./library";

function local(node: any, quantMin: number) {
  node.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation(quantMin) });
}

export default class UsesHelpers extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    model.graph.node("/relu1/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation(-200) });
    local(model.graph.node("/relu2/Relu"), -250);
    model.graph.node("/relu3/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: wide });
    return model;
  }
}
`;

const at = (f: Finding) => [path.basename(f.location!.file), f.location!.line];
const relatedAt = (f: Finding) => f.related.map((r) => [path.basename(r.location!.file), r.location!.line, r.message]);

test("a bad spec a helper of another file made is reported at the quantizer line that called it, with the helper's line related", async () => {
  const { findings } = await checkSource(QUANTIZER, { files: { "library.ts": LIBRARY } });
  const range = findings.filter((f) => f.code === "quant-range-outside-dtype").sort((a, b) => a.message.localeCompare(b.message));
  assert.equal(range.length, 3, JSON.stringify(range.map((f) => f.message)));
  const [minus200, minus250, minus300] = range;
  // Called straight from annotate(): the call's line, and the helper's line as related.
  assert.deepEqual(at(minus200!), ["quantizer.ts", 10]);
  assert.deepEqual(relatedAt(minus200!), [["library.ts", 4, "made here, in a helper this line calls"]]);
  // Through a helper of the quantizer's own file: its line there, and the calls that led to it.
  assert.deepEqual(at(minus250!), ["quantizer.ts", 5]);
  assert.deepEqual(relatedAt(minus250!), [["library.ts", 4, "made here, in a helper this line calls"], ["quantizer.ts", 11, "called from here"]]);
  // A spec the library made when it was loaded is the library's own line: nothing called it from annotate().
  assert.deepEqual(at(minus300!), ["library.ts", 7]);
  assert.deepEqual(relatedAt(minus300!), []);
});
