import { QSCHEMES, QUANT_DTYPES, type QuantDType } from "../quant-types.js";
import { SPEC_CLASS, SPEC_OPTIONS } from "../quantizer/specs.js";
import { FINDING_CODES, type FindingCode, type Severity } from "./finding.js";
import { checkRange } from "./rules/spec-fields.js";
import { unknownOptionMessage } from "./rules/option-rules.js";

/** A spec constructor call as written: its kind and the options whose values are literals in the source. */
export interface LiteralSpec {
  kind: "observed" | "fixed" | "derived";
  /** Every option key written, literal or not. */
  keys: readonly string[];
  /** The options whose values are literals (strings, numbers, booleans). */
  literals: Readonly<Record<string, string | number | boolean>>;
}

export interface LiteralProblem {
  code: FindingCode;
  severity: Severity;
  message: string;
  /** The option the problem is about (where an editor underlines it). */
  option: string;
}

/**
 * What the checker would say about a spec from its literal options alone — the same codes and words — for places
 * where the quantizer's code may not run (an untrusted workspace). Options that are not literals are not judged.
 */
export function literalSpecProblems(spec: LiteralSpec): LiteralProblem[] {
  const problems: LiteralProblem[] = [];
  const name = SPEC_CLASS[spec.kind];
  const add = (code: FindingCode, message: string, option: string) => problems.push({ code, severity: FINDING_CODES[code], message, option });
  const known: readonly string[] = SPEC_OPTIONS[spec.kind];
  for (const key of spec.keys) if (!known.includes(key)) add("unknown-option", unknownOptionMessage(name, key, known), key);

  const { dtype, qscheme, quantMin, quantMax } = spec.literals;
  if (dtype !== undefined && !(QUANT_DTYPES as readonly unknown[]).includes(dtype)) {
    add("invalid-dtype", `${name} has dtype ${JSON.stringify(dtype)}; use one of ${QUANT_DTYPES.join(", ")}`, "dtype");
    return problems;
  }
  if (qscheme !== undefined && !(QSCHEMES as readonly unknown[]).includes(qscheme)) {
    add("invalid-qscheme", `${name} has qscheme ${JSON.stringify(qscheme)}; use one of ${QSCHEMES.join(", ")}`, "qscheme");
  }
  // A range is judged only when everything it depends on is written as a literal.
  const judged = (key: string) => !spec.keys.includes(key) || key in spec.literals;
  if (dtype === undefined || !judged("quantMin") || !judged("quantMax") || !judged("qscheme")) return problems;
  const range = { dtype: dtype as QuantDType, quantMin: quantMin as number | undefined, quantMax: quantMax as number | undefined, qscheme };
  checkRange(range, name, (code, message) => add(code, message, rangeOption(message, spec)));
  return problems;
}

/** The option to underline for a range problem: the bound the message names first, else quantMin or quantMax. */
function rangeOption(message: string, spec: LiteralSpec): string {
  const named = /\b(quantMin|quantMax)\b/.exec(message)?.[1];
  if (named && spec.keys.includes(named)) return named;
  return spec.keys.includes("quantMin") ? "quantMin" : spec.keys.includes("quantMax") ? "quantMax" : "dtype";
}
