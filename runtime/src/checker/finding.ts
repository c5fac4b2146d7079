import type { SourceLocation } from "../source-location.js";
import { printable, type QkitError } from "../errors.js";

export type Severity = "error" | "warning" | "information";

/**
 * Every finding the checker can give, with its severity. The codes are stable: docs/diagnostics.md has a section per
 * code (with a minimal bad example and the fix), and editors link to it.
 */
export const FINDING_CODES = {
  "shared-spec-cycle": "error",
  "shared-spec-dangling": "error",
  "edge-not-in-graph": "error",
  "derived-arity-mismatch": "error",
  "derived-source-unannotated": "error",
  "derived-per-channel-without-axis": "error",
  "invalid-dtype": "error",
  "invalid-qscheme": "error",
  "invalid-observer": "error",
  "quant-range-outside-dtype": "error",
  "quant-range-inverted": "error",
  "quant-range-excludes-zero": "error",
  "symmetric-range-asymmetric": "warning",
  "fixed-zero-point-out-of-range": "error",
  "fixed-scale-invalid": "error",
  "ch-axis-out-of-range": "error",
  "per-channel-on-activation": "warning",
  "channel-count-mismatch": "error",
  "input-not-an-argument": "error",
  "node-from-another-graph": "error",
  "dynamic-spec-on-parameter": "error",
  "non-float-quantized": "error",
  "shape-operand-quantized": "error",
  "opset-before-qdq": "error",
  "float16-model": "error",
  "multi-output-quantized": "error",
  "unknown-option": "error",
  "not-a-spec": "error",
  "not-an-annotation": "error",
  "fixed-qparams-conflict": "error",
  "redundant-requantization": "warning",
  "composable-overwrite": "error",
  "unknown-module": "warning",
  "coverage": "information",
  "quantizer-threw": "error",
  "type-error": "error",
  "annotate-returned-nothing": "warning",
  "annotate-async": "error",
  "nothing-annotated": "warning",
  "check-timeout": "error",
  "check-out-of-memory": "error",
  "quantizer-exited": "error",
  "check-crashed": "error",
} as const satisfies Record<string, Severity>;

export type FindingCode = keyof typeof FINDING_CODES;

export interface RelatedLocation {
  location: SourceLocation | undefined;
  message: string;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** One sentence naming the nodes or edges involved, and what to do. */
  message: string;
  /**
   * The line of the quantizer that created the offending spec or annotation (absolute file); undefined for findings
   * about the quantizer as a whole, which front ends place at its class.
   */
  location: SourceLocation | undefined;
  /** Other lines involved: every member of a cycle, the spec a derived spec reads, an overwritten annotation. */
  related: RelatedLocation[];
  /** Names of the graph nodes the finding is about. */
  nodes: string[];
}

export function finding(code: FindingCode, message: string, location: SourceLocation | undefined, extra: { related?: RelatedLocation[]; nodes?: string[] } = {}): Finding {
  return { code, severity: FINDING_CODES[code], message: printable(message), location, related: extra.related ?? [], nodes: extra.nodes ?? [] };
}

export const DOCS_URL_BASE = "docs/diagnostics.md";

/** A quantizer that fails to compile or to run at a known line is a finding there, not a crash; else undefined. */
export function loadErrorFinding(error: QkitError): Finding | undefined {
  return error.location ? finding("quantizer-threw", error.detail ?? error.message, error.location) : undefined;
}
