import { integerRange } from "../../onnx/data-type.js";
import { QSCHEMES, QUANT_DTYPES, isSymmetric, type QScheme } from "../../quant-types.js";
import { SPEC_CLASS, type RangedSpec } from "../../quantizer/specs.js";
import { describeSlot } from "../../quantizer/edge-or-node.js";
import { finding, type Finding } from "../finding.js";
import type { Rule } from "../context.js";

/** Rule 4 (and the fields PT2E only checks deep inside prepare): dtype, qscheme, observer, ranges, fixed qparams. */
export const specFields: Rule = ({ uses }) => {
  const findings: Finding[] = [];
  for (const [spec, slots] of uses) {
    if (spec.kind === "shared") continue;
    const site = spec.site ?? slots[0]?.annotation.site;
    const name = SPEC_CLASS[spec.kind];
    const where = slots.map((s) => describeSlot(s.edgeOrNode));
    const usedAt = where.length === 1 ? ` (used for the ${where[0]})` : where.length > 1 ? ` (used for ${where.length} edges/nodes, e.g. the ${where[0]})` : "";
    const nodes = [...new Set(slots.map((s) => s.owner.name))];
    const add = (code: Parameters<typeof finding>[0], message: string) => findings.push(finding(code, message + usedAt, site, { nodes }));

    if (!(QUANT_DTYPES as readonly string[]).includes(spec.dtype)) {
      add("invalid-dtype", `${name} has dtype ${JSON.stringify(spec.dtype)}; use one of ${QUANT_DTYPES.join(", ")}`);
      continue;
    }
    if (spec.qscheme !== undefined && !(QSCHEMES as readonly string[]).includes(spec.qscheme)) {
      add("invalid-qscheme", `${name} has qscheme ${JSON.stringify(spec.qscheme)}; use one of ${QSCHEMES.join(", ")}`);
    }
    if (spec.kind === "observed" && (typeof spec.observer !== "function" || typeof spec.observer.observerName !== "string")) {
      add("invalid-observer", `QuantizationSpec needs an observer class from qkit (e.g. MinMaxObserver or HistogramObserver.withArgs({ eps: 2 ** -12 })), got ${describeValue(spec.observer)}`);
    }
    checkRange(spec, name, add);
    if (spec.kind === "fixed") {
      if (!Number.isFinite(spec.scale) || spec.scale <= 0) add("fixed-scale-invalid", `FixedQParamsQuantizationSpec has scale ${spec.scale}; a scale must be a finite number above 0`);
      const { min, max } = effectiveRange(spec);
      if (!Number.isInteger(spec.zeroPoint) || spec.zeroPoint < min || spec.zeroPoint > max) {
        add("fixed-zero-point-out-of-range", `FixedQParamsQuantizationSpec has zeroPoint ${spec.zeroPoint}, outside its ${spec.dtype} range [${min}, ${max}]; pick a zero point inside it`);
      }
    }
  }
  return findings;
};

function describeValue(x: unknown): string {
  if (x === undefined) return "nothing";
  if (typeof x === "function") return `the function ${x.name || "(anonymous)"}, which is not an observer class`;
  return typeof x;
}

export function effectiveRange(spec: RangedSpec): { min: number; max: number } {
  const full = integerRange(spec.dtype) ?? { min: -Infinity, max: Infinity };
  return { min: spec.quantMin ?? full.min, max: spec.quantMax ?? full.max };
}

/** The fields a range check reads: a spec, or what the editor reads from a spec's literal options. */
export interface RangeFields {
  dtype: RangedSpec["dtype"];
  quantMin?: number;
  quantMax?: number;
  qscheme?: unknown;
}

/** Range findings (outside the dtype, inverted, excluding zero, asymmetric) for a spec of a valid dtype. */
export function checkRange(spec: RangeFields, name: string, add: (code: Parameters<typeof finding>[0], message: string) => void): void {
  const full = integerRange(spec.dtype)!;
  const { quantMin, quantMax } = spec;
  for (const [field, value] of [["quantMin", quantMin], ["quantMax", quantMax]] as const) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < full.min || value > full.max) {
      const given = typeof value === "number" ? `${value}` : `${JSON.stringify(value)} (a ${typeof value}, not an integer)`;
      add("quant-range-outside-dtype", `${name} has ${field} ${given}, outside what ${spec.dtype} holds [${full.min}, ${full.max}]; use an integer in that range or a wider dtype`);
      return;
    }
  }
  const { min, max } = effectiveRange(spec as RangedSpec);
  if (min >= max) {
    add("quant-range-inverted", `${name} has quantMin ${min} ${min === max ? "equal to" : "above"} quantMax ${max}; quantMin must be below quantMax`);
    return;
  }
  const qscheme = spec.qscheme as QScheme | undefined;
  const symmetric = qscheme !== undefined && isSymmetric(qscheme);
  if (!symmetric && (min > 0 || max < 0)) {
    add("quant-range-excludes-zero", `${name} has the affine range [${min}, ${max}], which does not contain 0, so real 0.0 cannot be represented; widen the range to include 0`);
  }
  if (symmetric && full.min < 0 && Math.abs(min + max) > 1) {
    add("symmetric-range-asymmetric", `${name} is ${qscheme} but its range [${min}, ${max}] is not centred on 0, so part of it is never used; use [-${max}, ${max}] or an affine qscheme`);
  }
}
