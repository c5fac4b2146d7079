import { keptValues } from "../graph/subgraph-scope.js";
import type { Graph } from "../graph/graph.js";
import type { Node, NodeArg } from "../graph/node.js";
import type { ValueMeta } from "./op.js";
import { layerNormOp } from "./ops/norm.js";
import { internal, isCall, type Rewrites } from "./pattern.js";

/** The float32 value of a one-element constant, or undefined. */
function scalar(arg: NodeArg | undefined, constant: (n: Node) => ValueMeta): number | undefined {
  if (!arg || arg.kind !== "parameter") return undefined;
  const meta = constant(arg);
  if (meta.dtype !== "float32" || (meta.value as Float32Array).length !== 1) return undefined;
  return (meta.value as Float32Array)[0];
}

/** A float32 constant operand of a binary node (either side), with the other operand. */
function withConstant(node: Node, constant: (n: Node) => ValueMeta): { other: NodeArg; value: Node } | undefined {
  const [a, b] = node.args;
  const isConst = (x: NodeArg | undefined) => !!x && x.kind === "parameter" && constant(x).dtype === "float32";
  if (isConst(b) && !isConst(a)) return { other: a ?? null, value: b! };
  if (isConst(a) && !isConst(b)) return { other: b ?? null, value: a! };
  return undefined;
}

/** A ReduceMean's axes if they are the trailing ones ([-k, …, -1]) with keepdims; undefined otherwise. */
function trailingAxes(node: Node, constant: (n: Node) => ValueMeta, opset: number): number | undefined {
  if (node.intAttribute("keepdims", 1) === 0) return undefined;
  let axes = node.intsAttribute("axes");
  if (opset >= 18) {
    const arg = node.args[1];
    if (!arg || arg.kind !== "parameter") return undefined;
    axes = Array.from(constant(arg).value as ArrayLike<number | bigint>, Number);
  }
  if (!axes || axes.length === 0) return undefined;
  const rank = node.args[0]?.meta.shape?.length;
  const negative = axes.map((a) => (a < 0 ? a : rank !== undefined ? a - rank : NaN)).sort((x, y) => x - y);
  const k = negative.length;
  return negative.every((a, i) => a === i - k) ? k : undefined;
}

/**
 * LayerNormalization as exporters before opset 17 spell it: ReduceMean → Sub → Pow(2) (or Mul by itself) →
 * ReduceMean → Add(eps) → Sqrt → Div, then optionally Mul(γ) and Add(β) by constants. Found from each Div; the
 * last node of the chain runs as one LayerNormalization kernel over the trailing axes, the others never run.
 */
export function findDecomposedLayerNorms(graph: Graph, constant: (n: Node) => ValueMeta, opset: number): Rewrites {
  const result: Rewrites = new Map();
  const outputs = keptValues(graph);
  for (const div of graph.calls("Div")) {
    const [d, sqrt] = div.args;
    if (!isCall(d, "Sub") || !isCall(sqrt, "Sqrt")) continue;
    const [x, mean] = d.args;
    if (!x || !isCall(mean, "ReduceMean") || mean.args[0] !== x) continue;
    const addEps = sqrt.args[0];
    if (!isCall(addEps, "Add")) continue;
    const epsArg = withConstant(addEps, constant);
    const eps = epsArg ? scalar(epsArg.value, constant) : undefined;
    if (eps === undefined || !isCall(epsArg!.other, "ReduceMean")) continue;
    const variance = epsArg!.other as Node;
    const square = variance.args[0];
    if (!square || square.kind !== "call") continue;
    const pow = isCall(square, "Pow") && square.args[0] === d && scalar(square.args[1], constant) === 2;
    const squares = pow || (isCall(square, "Mul") && square.args[0] === d && square.args[1] === d);
    if (!squares) continue;
    const k = trailingAxes(mean, constant, opset);
    if (k === undefined || trailingAxes(variance, constant, opset) !== k) continue;
    const chain: Node[] = [mean, d, square, variance, addEps, sqrt, div];
    // Extend by Mul(γ) and Add(β) when the previous node feeds only them.
    let last = div;
    let gamma: Node | undefined;
    let beta: Node | undefined;
    const only = (n: Node) => (n.users.size === 1 && !outputs.has(n) ? [...n.users][0]! : undefined);
    const mul = only(div);
    const scale = mul && isCall(mul, "Mul") ? withConstant(mul, constant) : undefined;
    if (scale && scale.other === div) {
      gamma = scale.value;
      last = mul!;
      chain.push(mul!);
      const add = only(mul!);
      const shift = add && isCall(add, "Add") ? withConstant(add, constant) : undefined;
      if (shift && shift.other === mul) {
        beta = shift.value;
        last = add!;
        chain.push(add!);
      }
    }
    const inside = new Set(chain);
    if (chain.some((n) => result.has(n))) continue;
    if (!chain.every((n) => n === last || internal(n, inside, outputs))) continue;
    for (const n of chain) if (n !== last) result.set(n, "skip");
    result.set(last, { def: layerNormOp({ axis: -k, epsilon: eps }), args: [x, gamma ?? null, beta ?? null] });
  }
  return result;
}
