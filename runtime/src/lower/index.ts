export { lower, lowerWithReport, isQdqModel, type LoweringReport, type LoweredNode } from "./lower.js";
export { QKIT_DOMAIN, QKIT_OPS, type QkitOp } from "../qkit-ops/schema.js";
