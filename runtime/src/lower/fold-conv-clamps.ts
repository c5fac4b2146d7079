// A Relu or Clip between two Q/DQ pairs after a convolution (Conv → Q → DQ → Relu → Q, as ORT's quantize_static
// and qkit's ort-qdq leave it) lowers to a QConv and a QLut table over its output. When the QConv's codes feed only
// that table, the table folds into the convolution's store as a second quantization stage (midScale/midZeroPoint,
// mid_clamp_min/max): the same roundings in the same order, and one pass over the tensor less.
import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { floatAttribute } from "../onnx/attributes.js";
import { QKIT_DOMAIN, qkitInputs } from "../qkit-ops/schema.js";
import { withArgs } from "./with-args.js";

const QLUT = qkitInputs("QLut");
const QCONV = qkitInputs("QConv");
const BYTES = new Set(["uint8", "int8"]);

function isQkit(node: Node | null | undefined, opType: string): node is Node {
  return !!node && node.kind === "call" && node.domain === QKIT_DOMAIN && node.opType === opType;
}

/** The float interval a Relu or Clip table clips to, or undefined for any other table. */
function clampOf(lut: Node): { lo: number; hi: number } | undefined {
  const op = lut.stringAttribute("op", "Identity");
  if (op === "Relu" && !lut.attributes.has("clamp_min") && !lut.attributes.has("clamp_max")) return { lo: 0, hi: Infinity };
  if (op === "Clip") return { lo: lut.floatAttribute("clamp_min", -Infinity), hi: lut.floatAttribute("clamp_max", Infinity) };
  return undefined;
}

/** Fold every such table into its convolution; returns the QLuts folded away, by name, with their QConv's. */
export function foldConvClamps(graph: Graph): Map<string, string> {
  const folded = new Map<string, string>();
  for (const lut of graph.calls()) {
    if (!isQkit(lut, "QLut") || lut.args[QLUT.midScale]) continue;
    const clamp = clampOf(lut);
    const conv = lut.args[QLUT.x];
    if (!clamp || !isQkit(conv, "QConv") || conv.args[QCONV.midScale]) continue;
    if (conv.users.size !== 1 || graph.outputs.includes(conv)) continue;
    if (!BYTES.has(conv.args[QCONV.x]?.meta.dtype ?? "") || !BYTES.has(conv.meta.dtype ?? "") || !BYTES.has(lut.meta.dtype ?? "")) continue;
    // The table reads the convolution's codes with the parameters they were quantized with.
    if (lut.args[QLUT.xScale] !== conv.args[QCONV.yScale] || (lut.args[QLUT.xZeroPoint] ?? null) !== (conv.args[QCONV.yZeroPoint] ?? null)) continue;
    withArgs(conv, [
      [QCONV.midScale, conv.args[QCONV.yScale]], [QCONV.midZeroPoint, conv.args[QCONV.yZeroPoint]],
      [QCONV.yScale, lut.args[QLUT.yScale]], [QCONV.yZeroPoint, lut.args[QLUT.yZeroPoint]],
    ]);
    if (Number.isFinite(clamp.lo)) conv.attributes.set("mid_clamp_min", floatAttribute("mid_clamp_min", clamp.lo));
    if (Number.isFinite(clamp.hi)) conv.attributes.set("mid_clamp_max", floatAttribute("mid_clamp_max", clamp.hi));
    lut.replaceAllUsesWith(conv);
    const tensor = lut.valueName;
    conv.meta.dtype = lut.meta.dtype;
    graph.eraseNode(lut);
    graph.setOutputNames(conv, [tensor]);
    folded.set(lut.name, conv.name);
  }
  return folded;
}
