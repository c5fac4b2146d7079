// LayerNormalization between a DequantizeLinear and a QuantizeLinear: one QLayerNorm from codes to codes. Its γ and
// β stay float32 constants (the quantizers leave them so); each row is normalised in float32 exactly as the float
// island computes it.
import type { Node, NodeArg } from "../graph/node.js";
import { floatAttribute, intAttribute } from "../onnx/attributes.js";
import { QKIT_DOMAIN, qkitArgs } from "../qkit-ops/schema.js";
import { BYTE_DTYPES, failed, quantizedInput, quantizedOutput, type Match } from "./match.js";
import type { Lowering } from "./rules.js";

/** γ or β: a float32 constant, or why not. */
function floatConstant(arg: NodeArg | undefined, what: string): Match<Node> {
  if (arg && arg.kind === "parameter" && arg.meta.dtype === "float32") return arg;
  const how = arg && arg.kind === "call" && arg.opType === "DequantizeLinear" ? "is quantized" : "is not a float32 constant";
  return `its ${what} ${how}, and LayerNormalization runs in int8 with float32 constants for γ and β; leave them unquantized (they cost nothing at run time)`;
}

export function layerNormalization(node: Node): Match<Lowering> {
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return x;
  if (node.outputNames.length !== 1) return "LayerNormalization with its Mean and InvStdDev outputs runs in float32; only its first output can be quantized";
  const gamma = floatConstant(node.args[1], "scale (γ)");
  if (failed(gamma)) return gamma;
  const beta = node.args[2] ? floatConstant(node.args[2], "bias (β)") : null;
  if (beta !== null && failed(beta)) return beta;
  const out = quantizedOutput(node, false);
  if (failed(out)) return out;
  if (!BYTE_DTYPES.has(x.value.meta.dtype ?? "") || !BYTE_DTYPES.has(out.quantize.meta.dtype ?? "")) {
    return `LayerNormalization lowers on uint8/int8 only (this one is ${x.value.meta.dtype} → ${out.quantize.meta.dtype}); use a byte dtype in its specs`;
  }
  const args = qkitArgs<"QLayerNorm", NodeArg>("QLayerNorm", { x: x.value, xScale: x.scale, xZeroPoint: x.zp, scale: gamma, bias: beta,
    yScale: out.scale, yZeroPoint: out.zp }, null);
  const attributes = [
    intAttribute("axis", node.intAttribute("axis", -1)),
    floatAttribute("epsilon", node.floatAttribute("epsilon", 1e-5)),
  ];
  return { opType: "QLayerNorm", domain: QKIT_DOMAIN, out, args, attributes };
}
