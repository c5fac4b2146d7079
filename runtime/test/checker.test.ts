import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import {
  loadModel, loadQuantizer, runCheck, check, resolveSharing, slotKey, deriveArity, Quantizer, QuantizationAnnotation,
  QuantizationSpec, SharedQuantizationSpec, DerivedQuantizationSpec, MinMaxObserver, type GraphModule,
} from "../src/tooling.js";
import { EXAMPLES, sharedModel, skipUnlessShared } from "./helpers/data.js";

const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
const TUTORIAL = path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts");

test("the tutorial quantizer checks clean on the example CNN, with full coverage, and leaves the model untouched", async () => {
  const model = await loadModel(MODEL);
  const { findings, coverage, model: annotated } = runCheck(model, loadQuantizer(TUTORIAL).quantizer);
  assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
  assert.equal(coverage.annotated, 16);
  assert.equal(coverage.total, 16);
  assert.ok(annotated.graph.node("/conv1/Conv")!.meta.quantizationAnnotation instanceof QuantizationAnnotation);
  assert.equal(model.graph.node("/conv1/Conv")!.meta.quantizationAnnotation, undefined, "the caller's model is not annotated");
});

for (const file of ["resnet18_op13.onnx", "mobilenet_v2_op13.onnx"]) {
  test(`the tutorial quantizer checks clean on ${file}`, { skip: skipUnlessShared(file) }, async () => {
    const model = await loadModel(sharedModel(file)!);
    const { findings, coverage } = runCheck(model, loadQuantizer(TUTORIAL).quantizer);
    assert.deepEqual(findings.filter((f) => f.severity === "error"), []);
    assert.ok(coverage.annotated > 0);
  });
}

const spec = () => new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, qscheme: "per_tensor_affine", observer: MinMaxObserver });

/** Annotates the residual Add so that its second input shares with an edge annotated only later (PT2E crashes). */
class LateTarget extends Quantizer {
  constructor(private readonly reverse: boolean) {
    super();
  }
  annotate(model: GraphModule): GraphModule {
    const g = model.graph;
    const add = g.node("/Add")!;
    const relu5 = g.node("/relu5/Relu")!;
    const steps = [
      () => (add.meta.quantizationAnnotation = new QuantizationAnnotation({
        inputQspecMap: [[add.args[0]!, new SharedQuantizationSpec([add, relu5])], [add.args[1]!, new SharedQuantizationSpec([add.args[0]!, add])]],
        outputQspec: new SharedQuantizationSpec([add, relu5]),
      })),
      () => (relu5.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[add, spec()]], outputQspec: spec() })),
    ];
    for (const step of this.reverse ? steps.reverse() : steps) step();
    return model;
  }
}

test("sharing resolves regardless of annotation order, also when a shared spec names an edge annotated later", async () => {
  const model = await loadModel(MODEL);
  const groupsOf = (reverse: boolean) => {
    const { findings, model: m } = runCheck(model, new LateTarget(reverse));
    assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
    const sharing = resolveSharing(m.graph);
    const add = m.graph.node("/Add")!;
    const relu5 = m.graph.node("/relu5/Relu")!;
    const keys = [slotKey([add.args[0]!, add]), slotKey([add.args[1]!, add]), slotKey(add), slotKey([add, relu5]), slotKey(relu5)];
    return { sameGroup: keys.map((k) => sharing.groupOf(k) === sharing.groupOf(keys[0]!)), defining: sharing.definingSpec(keys[0]!) === sharing.definingSpec(slotKey([add, relu5])) };
  };
  const forward = groupsOf(false);
  assert.deepEqual(forward, groupsOf(true));
  // The Add's inputs and output and the relu's input share one observer; the relu's output spec agrees and joins too.
  assert.deepEqual(forward.sameGroup, [true, true, true, true, false]);
  assert.ok(forward.defining);
});

test("implicit sharing joins an input edge with its producer's output only when PT2E's fields agree", async () => {
  const model = await loadModel(MODEL);
  class Pair extends Quantizer {
    constructor(private readonly quantMax: number, private readonly allow: boolean) {
      super();
    }
    annotate(m: GraphModule): GraphModule {
      const conv = m.graph.node("/conv1/Conv")!;
      const relu = m.graph.node("/relu1/Relu")!;
      conv.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec() });
      const consumer = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: this.quantMax, qscheme: "per_tensor_affine", observer: MinMaxObserver });
      relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv, consumer]], allowImplicitSharing: this.allow });
      return m;
    }
  }
  const shares = (quantMax: number, allow: boolean) => {
    const { model: m } = runCheck(model, new Pair(quantMax, allow));
    const s = resolveSharing(m.graph);
    const conv = m.graph.node("/conv1/Conv")!;
    return s.groupOf(slotKey(conv)) === s.groupOf(slotKey([conv, m.graph.node("/relu1/Relu")!]));
  };
  assert.equal(shares(127, true), true);
  assert.equal(shares(126, true), false);
  assert.equal(shares(127, false), false);
});

test("check() returns findings and never throws, whatever annotate does", async () => {
  const model = await loadModel(MODEL);
  class Hostile extends Quantizer {
    annotate(m: GraphModule): GraphModule {
      (m.graph.node("/relu1/Relu")!.meta as Record<string, unknown>).quantizationAnnotation = { outputQspec: "int8" };
      const relu2 = m.graph.node("/relu2/Relu")!;
      relu2.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu2.args[0]!, "uint8" as never]], outputQspec: { dtype: "int8" } as never });
      const bad = new QuantizationSpec({ dtype: "float32" as never, observer: (() => 0) as never, qscheme: "per_tensor_weird" as never });
      m.graph.node("/relu3/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: bad });
      return m;
    }
  }
  const codes = check(model, new Hostile()).map((f) => f.code).sort();
  assert.deepEqual(codes, ["coverage", "invalid-dtype", "not-a-spec", "not-a-spec", "not-an-annotation"]);
  class BadFields extends Quantizer {
    annotate(m: GraphModule): GraphModule {
      const bad = new QuantizationSpec({ dtype: "int8", observer: (() => 0) as never, qscheme: "per_tensor_weird" as never });
      m.graph.node("/relu3/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: bad });
      return m;
    }
  }
  assert.deepEqual(check(model, new BadFields()).map((f) => f.code).sort(), ["coverage", "invalid-observer", "invalid-qscheme"]);
});

test("the arity a derive function reads is found from its source, in every way people write it", () => {
  assert.equal(deriveArity(([a, w]: unknown[]) => [a, w]), 2);
  assert.equal(deriveArity(function ([a, b, c]: unknown[]) { return [a, b, c]; }), 3);
  assert.equal(deriveArity((obs: unknown[]) => [obs[0], obs[1]]), 2);
  assert.equal(deriveArity((obs: unknown[]) => { const [x] = obs; return x; }), 1);
  assert.equal(deriveArity((obs: unknown[]) => { if (obs.length !== 2) throw new Error(); return obs[1]; }), 2);
  assert.equal(deriveArity((...obs: unknown[]) => obs), undefined);
  assert.equal(deriveArity(([a, ...rest]: unknown[]) => [a, rest]), undefined);
  assert.equal(deriveArity((obs: unknown[]) => obs.map((o) => o)), undefined);
  const holder = { derive([a, b]: unknown[]) { return [a, b]; } };
  assert.equal(deriveArity(holder.derive), 2);
  assert.equal(deriveArity(Math.max), undefined);
});

test("derived specs keep their function and its declared arity", async () => {
  const model = await loadModel(MODEL);
  const conv = model.graph.node("/conv1/Conv")!;
  const edges = [[conv.args[0]!, conv], [conv.args[1]!, conv]] as const;
  const derived = new DerivedQuantizationSpec({ derivedFrom: edges, deriveQparams: ([a, w]) => ({ scale: a.calculateQparams().scale[0]! * w.calculateQparams().scale[0]!, zeroPoint: 0 }), dtype: "int32" });
  assert.equal(derived.derivedFrom.length, 2);
  assert.equal(deriveArity(derived.deriveFunction), 2);
  assert.match(derived.site!.file, /checker\.test\.(ts|js)$/, "the creation site is this test file");
});
