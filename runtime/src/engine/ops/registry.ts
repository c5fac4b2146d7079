import type { Node } from "../../graph/node.js";
import type { OpDef } from "../op.js";
import { QKIT_DOMAIN } from "../../qkit-ops/schema.js";
import { isQdqOp } from "../../onnx/qdq-ops.js";
import { lookupOpType } from "./onnx-ops.js";
import { qkitOps } from "./qkit/index.js";

export { lookupOpType, supportedOps } from "./onnx-ops.js";

/** The integer operators lower() emits (domain com.qkit). */
const QKIT = new Map<string, OpDef>(Object.entries(qkitOps));

/**
 * The operator a node runs: a default-domain ONNX operator, ONNX Runtime's com.microsoft QuantizeLinear and
 * DequantizeLinear (the same ops), or one of the com.qkit integer operators.
 */
export function lookupOp(node: Node): OpDef | undefined {
  if (node.domain === QKIT_DOMAIN) return QKIT.get(node.opType);
  if (node.domain !== "" && node.domain !== "ai.onnx" && !isQdqOp(node.domain, node.opType)) return undefined;
  return lookupOpType(node.opType);
}
