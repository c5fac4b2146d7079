import assert from "node:assert/strict";
import type { Coverage, LoweringReport } from "../../src/tooling.js";

/** check's coverage counts a node as int8 exactly when lower() lowers it, and the other way round. */
export function assertCoverageAgreesWithLowering(coverage: Coverage, report: LoweringReport): void {
  for (const row of coverage.rows) {
    for (const n of report.nodes.filter((e) => e.opType === row.opType)) {
      const int8 = row.annotated > 0 && !row.notInt8Nodes.includes(n.name);
      assert.equal(!!n.loweredAs, int8, `${n.name}: coverage says ${int8 ? "int8" : "float32"}, lowering ${n.loweredAs ?? n.reason}`);
    }
  }
}
