/** The checker: runs a quantizer's annotate() and reports every mistake at the line that made it. */
export { check, runCheck, type CheckResult, type CheckOptions } from "./check.js";
export { FINDING_CODES, type Finding, type FindingCode, type RelatedLocation, type Severity, loadErrorFinding } from "./finding.js";
export { computeCoverage, INT8_OP_TYPES, type Coverage, type CoverageRow } from "./coverage.js";
export { deriveArity } from "./derive-arity.js";
