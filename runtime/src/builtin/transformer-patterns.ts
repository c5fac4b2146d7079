import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";

/** A chain of ONNX ops that was one torch op (GELU, SiLU, HardSwish): where it reads its input and where it ends. */
export interface DecomposedOp {
  input: Node;
  /** Every node of the chain, the last one producing the op's output. */
  nodes: Node[];
  output: Node;
}

const isConstant = (node: Node | null | undefined): boolean => !!node && node.kind === "parameter";
const otherArg = (node: Node, one: Node): Node | null | undefined => (node.args[0] === one ? node.args[1] : node.args[0]);

/** The only user of `node`, when it has one and it has one of the op types. */
function onlyUser(node: Node, ...opTypes: string[]): Node | undefined {
  if (node.users.size !== 1) return undefined;
  const [user] = node.users;
  return user && user.kind === "call" && opTypes.includes(user.opType) ? user : undefined;
}

/**
 * GELU as exporters write it before opset 20: x · 0.5 · (1 + erf(x / √2)), the 0.5 applied to x or to the product
 * (torch's `Div → Erf → Add → Mul → Mul`); and the Gelu operator itself.
 */
export function geluChains(graph: Graph): DecomposedOp[] {
  const chains: DecomposedOp[] = graph.calls("Gelu").filter((n) => n.args[0]).map((n) => ({ input: n.args[0]!, nodes: [n], output: n }));
  for (const erf of graph.calls("Erf")) {
    const scaled = erf.args[0];
    if (!scaled || !["Div", "Mul"].includes(scaled.opType) || !isConstant(scaled.args[1]) || scaled.users.size !== 1) continue;
    const x = scaled.args[0];
    const plusOne = onlyUser(erf, "Add");
    const product = plusOne && isConstant(otherArg(plusOne, erf)) ? onlyUser(plusOne, "Mul") : undefined;
    if (!x || !plusOne || !product) continue;
    const factor = otherArg(product, plusOne);
    if (factor === x) {
      const half = onlyUser(product, "Mul");
      if (half && isConstant(otherArg(half, product))) chains.push({ input: x, nodes: [scaled, erf, plusOne, product, half], output: half });
    } else if (factor && factor.opType === "Mul" && factor.args.includes(x) && isConstant(otherArg(factor, x)) && factor.users.size === 1) {
      chains.push({ input: x, nodes: [scaled, factor, erf, plusOne, product], output: product });
    }
  }
  return chains;
}

/** SiLU and HardSwish as exporters write them: x · Sigmoid(x), x · HardSigmoid(x) (the gate reads x itself). */
export function gatedByItself(graph: Graph): DecomposedOp[] {
  const chains: DecomposedOp[] = [];
  for (const gate of graph.calls("Sigmoid", "HardSigmoid")) {
    const x = gate.args[0];
    const mul = onlyUser(gate, "Mul");
    if (x && mul && otherArg(mul, gate) === x) chains.push({ input: x, nodes: [gate, mul], output: mul });
  }
  return chains;
}

/**
 * The bias Add after a MatMul with a constant weight (ONNX's split of nn.Linear): its other input is a constant
 * vector of the weight's output width.
 */
export function linearBias(matmul: Node): { add: Node; bias: Node } | undefined {
  const add = onlyUser(matmul, "Add");
  const bias = add && otherArg(add, matmul);
  if (!add || !bias || !isConstant(bias) || !bias.isFloatValue) return undefined;
  const width = matmul.args[1]?.meta.shape?.at(-1);
  const shape = bias.meta.shape;
  return shape && shape.length === 1 && shape[0] === width ? { add, bias } : undefined;
}
