import { test } from "node:test";
import assert from "node:assert/strict";
import { foldStage, type FoldedStage, type StageToFold } from "../src/engine/kernels/fold-stage.js";
import { reciprocalServes } from "../src/engine/kernels/qconv.js";
import { roundHalfEven } from "./helpers/integer-oracle.js";

// A Relu or Clip between two Q/DQ pairs, folded into a convolution's store, in its short form: the short form, as the
// kernels compute it from the bounds and factors foldStage returns, must give every first code the output code that
// DequantizeLinear → Relu/Clip → QuantizeLinear give (float32 steps, QuantizeLinear's division).

/** DequantizeLinear → clamp → QuantizeLinear of one first code, as the reference computes them. */
function reference(s: StageToFold, q1: number): number {
  const x = Math.min(Math.max(Math.fround((q1 - s.zp) * Math.fround(s.scale)), Math.fround(s.lo)), Math.fround(s.hi));
  return Math.min(s.outHi, Math.max(s.outLo, roundHalfEven(Math.fround(x / Math.fround(s.divisor))) + s.zy));
}

/**
 * The kernels' short form: first code less zp bounded, times a, times b, rounded and clamped to the output's codes;
 * the lean variant leaves the clamp to the narrowing to bytes, which saturates to the output type's range.
 */
function shortForm(f: FoldedStage, s: StageToFold, q1: number, signed: boolean): number {
  const g = Math.min(Math.max(q1 - s.zp, f.low), f.high);
  const x = Math.fround(Math.fround(g * f.a) * f.b);
  const [lo, hi] = f.lean ? (signed ? [-128, 127] : [0, 255]) : [s.outLo, s.outHi];
  return Math.min(hi, Math.max(lo, roundHalfEven(x) + s.zy));
}

/** Stages as ORT-style exports leave them: Relu or Relu6 after a convolution, the output scale its own. */
function stages(): StageToFold[] {
  const out: StageToFold[] = [];
  for (const signed of [false, true]) for (const hi of [Infinity, 6, 1.5]) {
    for (const scale of [0.0390277, 0.0432053, 0.0375, 0.0213, 0.1]) for (const ratio of [0.52, 0.5, 0.47, 1, 0.9]) {
      const [qlo, qhi] = signed ? [-128, 127] : [0, 255];
      const zp = signed ? -9 : 122;
      const divisor = Math.fround(scale * ratio);
      const stage = { zp, qlo, qhi, scale, lo: 0, hi, divisor };
      out.push({ ...stage, reciprocal: reciprocalServes(stage), zy: signed ? -128 : 0, outLo: qlo, outHi: qhi, fullRange: true, finite: true });
    }
  }
  return out;
}

test("a folded stage gives every first code the reference's output code", () => {
  let folded = 0, lean = 0;
  for (const s of stages()) {
    const f = foldStage(s);
    if (!f) continue;
    folded++;
    if (f.lean) lean++;
    for (let q1 = s.qlo; q1 <= s.qhi; q1++) {
      assert.equal(shortForm(f, s, q1, s.qlo < 0), reference(s, q1), `${JSON.stringify(s)} ${JSON.stringify(f)}: first code ${q1}`);
    }
  }
  // Most Relu stages fold (a regnet's 101 of 102), most of them lean; the rest keep the stage's own steps.
  assert.ok(folded >= stages().length / 2, `${folded} of ${stages().length} stages folded`);
  assert.ok(lean > 0, `${lean} of ${folded} folded stages lean`);
});

test("a folded stage is lean only where the output clamp is the type's whole range", () => {
  const leanOne = stages().find((s) => foldStage(s)?.lean)!;
  assert.ok(leanOne, "some stage folds lean");
  // A fused Relu in the output clamp (qlo at the zero point) is a clamp the narrowing would not make.
  const clamped = { ...leanOne, outLo: leanOne.zy + 1, fullRange: false };
  const f = foldStage(clamped);
  assert.ok(f, "it still folds");
  assert.equal(f.lean, false);
  for (let q1 = clamped.qlo; q1 <= clamped.qhi; q1++) assert.equal(shortForm(f, clamped, q1, clamped.qlo < 0), reference(clamped, q1));
});

test("a stage folds only where nothing can be NaN and the kernels multiply by the reciprocal", () => {
  const relu = stages().find((s) => s.reciprocal && s.hi === Infinity)!;
  assert.ok(foldStage(relu), "a Relu stage that multiplies folds");
  assert.equal(foldStage({ ...relu, finite: false }), undefined, "a multiplier or offset that is not finite");
  assert.equal(foldStage({ ...relu, reciprocal: false }), undefined, "a stage that divides");
});
