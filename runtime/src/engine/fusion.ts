import type { Node } from "../graph/node.js";
import type { Clamp, ValueMeta } from "./op.js";

/** Clip's default bounds before opset 11, when they were attributes. */
const FLT_MAX = 3.4028234663852886e38;

/** The clamp a Relu or Clip node applies, when its bounds are constants; undefined for anything else. */
export function constClampOf(node: Node, opset: number, constant: (n: Node) => ValueMeta): Clamp | undefined {
  if (node.domain !== "" && node.domain !== "ai.onnx") return undefined;
  if (node.opType === "Relu") return { lo: 0, hi: Infinity };
  if (node.opType !== "Clip") return undefined;
  if (opset < 11) return { lo: node.floatAttribute("min", -FLT_MAX), hi: node.floatAttribute("max", FLT_MAX) };
  const bound = (i: number, fallback: number): number | undefined => {
    const arg = node.args[i];
    if (!arg) return fallback;
    if (arg.kind !== "parameter") return undefined;
    const meta = constant(arg);
    if (meta.dtype !== "float32") return undefined;
    return (meta.value as Float32Array)[0];
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : { lo, hi };
}
