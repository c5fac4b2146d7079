import { keptValues } from "../graph/subgraph-scope.js";
import type { Graph } from "../graph/graph.js";
import type { Node, NodeArg } from "../graph/node.js";
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

/** A DequantizeLinear computed straight from its QuantizeLinear's input: the args of the fake-quant operator. */
export interface FakeQuantPair {
  args: NodeArg[];
}

function sameConstant(a: NodeArg | undefined, b: NodeArg | undefined, constant: (n: Node) => ValueMeta): boolean {
  if (!a || !b) return !a && !b;
  if (a === b) return true;
  if (a.kind !== "parameter" || b.kind !== "parameter") return false;
  const x = constant(a).value as ArrayLike<unknown>;
  const y = constant(b).value as ArrayLike<unknown>;
  return constant(a).dtype === constant(b).dtype && x.length === y.length && Array.from(x).every((v, i) => v === y[i]);
}

function perTensorConstant(arg: NodeArg | undefined, constant: (n: Node) => ValueMeta): boolean {
  if (!arg) return true;
  if (arg.kind !== "parameter") return false;
  return (constant(arg).value as ArrayLike<unknown>).length === 1;
}

/**
 * QuantizeLinear → DequantizeLinear pairs with the same per-tensor parameters run as one float kernel (no integer
 * tensor in between): each such DequantizeLinear maps to the fake-quant args, and a QuantizeLinear whose every user
 * is such a DequantizeLinear (and which is no graph output) to "skip".
 */
export function findFakeQuant(graph: Graph, constant: (n: Node) => ValueMeta): Map<Node, FakeQuantPair | "skip"> {
  const result = new Map<Node, FakeQuantPair | "skip">();
  const standard = (n: Node) => n.domain === "" || n.domain === "ai.onnx";
  for (const dq of graph.calls("DequantizeLinear")) {
    const q = dq.args[0];
    if (!q || q.kind !== "call" || q.opType !== "QuantizeLinear" || !standard(q) || !standard(dq)) continue;
    if (!perTensorConstant(q.args[1], constant) || !perTensorConstant(q.args[2], constant)) continue;
    if (!sameConstant(q.args[1], dq.args[1], constant) || !sameConstant(q.args[2], dq.args[2], constant)) continue;
    if (q.intAttribute("block_size", 0) !== 0 || q.intAttribute("output_dtype", 0) !== 0) continue;
    result.set(dq, { args: [...q.args] });
  }
  const outputs = keptValues(graph);
  for (const q of graph.calls("QuantizeLinear")) {
    if (!outputs.has(q) && q.users.size > 0 && [...q.users].every((u) => result.has(u) && u.args[0] === q)) result.set(q, "skip");
  }
  return result;
}
