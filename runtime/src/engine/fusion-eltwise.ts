import { keptValues } from "../graph/subgraph-scope.js";
import type { Graph } from "../graph/graph.js";
import type { Node, NodeArg } from "../graph/node.js";
import type { OpDef, ValueMeta } from "./op.js";
import { fusedUnaryOp, type FusedUnary } from "./ops/fused.js";
import { constClampOf } from "./fusion.js";

/** A chain of elementwise nodes run as one operator: its last node is prepared with `def` on `args`. */
export interface FusedChain {
  def: OpDef;
  args: NodeArg[];
  /** The function the chain computes. */
  fused: FusedUnary;
}

type Constant = (n: Node) => ValueMeta;

const standard = (n: Node) => n.domain === "" || n.domain === "ai.onnx";

function isCall(arg: NodeArg | undefined, opType: string): arg is Node {
  return !!arg && arg.kind === "call" && arg.opType === opType && standard(arg);
}

/** A float32 constant holding one value within `tol` of `value`: its dims, or undefined. */
function scalar(arg: NodeArg | undefined, value: number, tol: number, constant: Constant): number[] | undefined {
  if (!arg || arg.kind !== "parameter") return undefined;
  const meta = constant(arg);
  if (meta.dtype !== "float32" || !meta.value || (meta.value as Float32Array).length !== 1) return undefined;
  return Math.abs((meta.value as Float32Array)[0]! - value) <= tol ? meta.dims : undefined;
}

/** The other operand of a two-input node, given one of them. */
function other(node: Node, arg: NodeArg): NodeArg | undefined {
  if (node.args[0] === arg) return node.args[1];
  if (node.args[1] === arg) return node.args[0];
  return undefined;
}

/** 1 + f(x) as Add(f, 1) in either order: f's node, and the constant's dims. */
function onePlus(arg: NodeArg | undefined, opType: string, constant: Constant): { inner: Node; dims: number[] } | undefined {
  if (!isCall(arg, "Add")) return undefined;
  for (const [a, b] of [[arg.args[0], arg.args[1]], [arg.args[1], arg.args[0]]] as const) {
    const dims = scalar(b, 1, 0, constant);
    if (dims && isCall(a, opType)) return { inner: a, dims };
  }
  return undefined;
}

/** x / √2 or x · (1/√2): x, and the constant's dims. */
function overSqrt2(arg: NodeArg | undefined, constant: Constant): { x: NodeArg; dims: number[] } | undefined {
  if (isCall(arg, "Div")) {
    const dims = scalar(arg.args[1], Math.SQRT2, 1e-6, constant);
    if (dims && arg.args[0]) return { x: arg.args[0], dims };
  }
  if (isCall(arg, "Mul")) {
    for (const [a, b] of [[arg.args[0], arg.args[1]], [arg.args[1], arg.args[0]]] as const) {
      const dims = scalar(b, Math.SQRT1_2, 1e-6, constant);
      if (dims && a) return { x: a, dims };
    }
  }
  return undefined;
}

/** x³ as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x): its nodes, or undefined. */
function cube(arg: NodeArg | undefined, x: NodeArg, constant: Constant): Node[] | undefined {
  if (isCall(arg, "Pow") && arg.args[0] === x && scalar(arg.args[1], 3, 0, constant)) return [arg];
  if (!isCall(arg, "Mul")) return undefined;
  const sq = other(arg, x);
  if (isCall(sq, "Mul") && sq.args[0] === x && sq.args[1] === x) return [arg, sq];
  return undefined;
}

/** √(2/π)·(x + 0.044715·x³), the argument of the tanh form of GELU, in the orders exporters write it. */
function geluTanhArg(arg: NodeArg | undefined, constant: Constant): { x: NodeArg; nodes: Node[]; dims: number[][] } | undefined {
  if (!isCall(arg, "Mul")) return undefined;
  for (const [v, c] of [[arg.args[0], arg.args[1]], [arg.args[1], arg.args[0]]] as const) {
    const cd = scalar(c, Math.sqrt(2 / Math.PI), 1e-6, constant);
    if (!cd || !isCall(v, "Add")) continue;
    for (const [x, w] of [[v.args[0], v.args[1]], [v.args[1], v.args[0]]] as const) {
      if (!x || !isCall(w, "Mul")) continue;
      for (const [k, p] of [[w.args[0], w.args[1]], [w.args[1], w.args[0]]] as const) {
        const kd = scalar(k, 0.044715, 1e-7, constant);
        const cubed = kd ? cube(p, x, constant) : undefined;
        if (cubed) return { x, nodes: [arg, v, w, ...cubed], dims: [cd, kd!] };
      }
    }
  }
  return undefined;
}

interface Match {
  fused: FusedUnary;
  x: NodeArg;
  /** The chain's nodes other than its last. */
  inner: Node[];
}

/** A product of the leaves of up to two Mul nodes (the last one, and one of its operands). */
function productLeaves(root: Node): { leaves: NodeArg[]; muls: Node[] }[] {
  const [a, b] = root.args;
  if (!a || !b) return [];
  const out = [{ leaves: [a, b], muls: [] as Node[] }];
  for (const [m, rest] of [[a, b], [b, a]] as const) {
    if (isCall(m, "Mul") && m.args[0] && m.args[1]) out.push({ leaves: [m.args[0], m.args[1], rest], muls: [m] });
  }
  return out;
}

/** GELU as x · (1 + erf(x/√2)) · 0.5 or x · (1 + tanh(√(2/π)(x + 0.044715x³))) · 0.5, the factors in any order. */
function matchGelu(root: Node, constant: Constant): Match | undefined {
  for (const { leaves, muls } of productLeaves(root)) {
    if (leaves.length !== 3) continue;
    for (let h = 0; h < 3; h++) {
      const halfDims = scalar(leaves[h], 0.5, 0, constant);
      if (!halfDims) continue;
      for (let p = 0; p < 3; p++) {
        if (p === h) continue;
        const x = leaves[3 - h - p]!;
        const erfSum = onePlus(leaves[p], "Erf", constant);
        if (erfSum) {
          const scaled = overSqrt2(erfSum.inner.args[0], constant);
          if (scaled && scaled.x === x) {
            return {
              fused: { op: "Gelu", constantDims: [halfDims, erfSum.dims, scaled.dims] },
              x, inner: [...muls, leaves[p] as Node, erfSum.inner, erfSum.inner.args[0] as Node],
            };
          }
        }
        const tanhSum = onePlus(leaves[p], "Tanh", constant);
        if (tanhSum) {
          const arg = geluTanhArg(tanhSum.inner.args[0], constant);
          if (arg && arg.x === x) {
            return {
              fused: { op: "GeluTanh", constantDims: [halfDims, tanhSum.dims, ...arg.dims] },
              x, inner: [...muls, leaves[p] as Node, tanhSum.inner, ...arg.nodes],
            };
          }
        }
      }
    }
  }
  return undefined;
}

/** x · sigmoid(x) (SiLU, Swish) and x · HardSigmoid(x) (HardSwish as PyTorch exports it before opset 14). */
function matchGated(root: Node): Match | undefined {
  for (const [x, g] of [[root.args[0], root.args[1]], [root.args[1], root.args[0]]] as const) {
    if (!x || !g || g.kind !== "call" || g.args[0] !== x || !standard(g)) continue;
    if (g.opType === "Sigmoid") return { fused: { op: "Silu", constantDims: [] }, x, inner: [g] };
    if (g.opType === "HardSigmoid") {
      const params = { alpha: g.floatAttribute("alpha", 0.2), beta: g.floatAttribute("beta", 0.5) };
      return { fused: { op: "HardSwish", params, constantDims: [] }, x, inner: [g] };
    }
  }
  return undefined;
}

/** x · Relu6(x + 3) / 6 (Clip(x + 3, 0, 6), divided by 6 or multiplied by 1/6): HardSwish as converters write it. */
function matchRelu6Swish(root: Node, opset: number, constant: Constant): Match | undefined {
  const candidates: { leaves: NodeArg[]; muls: Node[]; scale: number[] }[] = [];
  if (isCall(root, "Div") && isCall(root.args[0], "Mul")) {
    const six = scalar(root.args[1], 6, 0, constant);
    const m = root.args[0];
    if (six && m.args[0] && m.args[1]) candidates.push({ leaves: [m.args[0], m.args[1]], muls: [m], scale: six });
  }
  if (isCall(root, "Mul")) {
    for (const { leaves, muls } of productLeaves(root)) {
      if (leaves.length !== 3) continue;
      for (let i = 0; i < 3; i++) {
        const sixth = scalar(leaves[i], 1 / 6, 1e-8, constant);
        if (sixth) candidates.push({ leaves: leaves.filter((_, j) => j !== i), muls, scale: sixth });
      }
    }
  }
  for (const { leaves, muls, scale } of candidates) {
    for (const [x, c] of [[leaves[0], leaves[1]], [leaves[1], leaves[0]]] as const) {
      if (!x || !isCall(c, "Clip")) continue;
      const clamp = constClampOf(c, opset, constant);
      if (!clamp || clamp.lo !== 0 || clamp.hi !== 6 || !isCall(c.args[0], "Add")) continue;
      const add = c.args[0];
      const three = other(add, x);
      const threeDims = scalar(three, 3, 0, constant);
      if (!threeDims) continue;
      return {
        fused: { op: "HardSwish", params: { alpha: 1 / 6, beta: 0.5 }, constantDims: [scale, threeDims] },
        x, inner: [...muls, c, add],
      };
    }
  }
  return undefined;
}

/**
 * Elementwise chains that run as one unary kernel pass: SiLU, HardSwish (as x·HardSigmoid(x) or x·Relu6(x + 3)/6),
 * GELU in its erf and tanh forms.
 * The chain's last node maps to the fused operator on the chain's input; every other node of the chain maps to
 * "skip". A chain is fused only when none of its inner values is a graph output or read outside the chain, and none
 * of its nodes belongs to a pattern found before (`claimed`).
 */
export function findElementwiseChains(graph: Graph, opset: number, constant: Constant, claimed: ReadonlyMap<Node, unknown> = new Map()): Map<Node, FusedChain | "skip"> {
  const result = new Map<Node, FusedChain | "skip">();
  const outputs = keptValues(graph);
  for (const root of graph.calls("Mul", "Div")) {
    if (!standard(root) || result.has(root) || claimed.has(root)) continue;
    const match = root.opType === "Div" ? matchRelu6Swish(root, opset, constant)
      : matchGelu(root, constant) ?? matchRelu6Swish(root, opset, constant) ?? matchGated(root);
    if (!match) continue;
    const inner = new Set(match.inner);
    const members = new Set([root, ...inner]);
    const closed = [...inner].every((n) => !outputs.has(n) && !result.has(n) && !claimed.has(n) && [...n.users].every((u) => members.has(u)));
    if (!closed) continue;
    result.set(root, { def: fusedUnaryOp(match.fused), args: [match.x], fused: match.fused });
    for (const n of inner) result.set(n, "skip");
  }
  return result;
}
