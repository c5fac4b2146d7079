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

/** x³ as Pow(x, 3) or Mul(x, Mul(x, x)) in either order, each node read once: its nodes. */
function cubeOf(node: Node | null | undefined, x: Node): Node[] | undefined {
  if (!node || node.users.size !== 1) return undefined;
  if (node.opType === "Pow") return node.args[0] === x && isConstant(node.args[1]) ? [node] : undefined;
  if (node.opType !== "Mul" || !node.args.includes(x)) return undefined;
  const square = otherArg(node, x);
  return square && square.opType === "Mul" && square.args[0] === x && square.args[1] === x && square.users.size === 1 ? [node, square] : undefined;
}

/** The argument of GELU's tanh: c · (x + k · x³) with constants c and k, each node read once; x and its nodes. */
function tanhArgument(scaled: Node | null | undefined): { x: Node; nodes: Node[] } | undefined {
  if (!scaled || scaled.opType !== "Mul" || scaled.users.size !== 1) return undefined;
  const sum = isConstant(scaled.args[1]) ? scaled.args[0] : isConstant(scaled.args[0]) ? scaled.args[1] : undefined;
  if (!sum || sum.opType !== "Add" || sum.users.size !== 1) return undefined;
  for (const [x, term] of [[sum.args[0], sum.args[1]], [sum.args[1], sum.args[0]]] as const) {
    if (!x || !term || term.opType !== "Mul" || term.users.size !== 1) continue;
    const cube = isConstant(term.args[1]) ? term.args[0] : isConstant(term.args[0]) ? term.args[1] : undefined;
    const cubeNodes = cubeOf(cube, x);
    if (cubeNodes) return { x, nodes: [...cubeNodes, term, sum, scaled] };
  }
  return undefined;
}

/**
 * GELU as exporters write it before opset 20: x · 0.5 · (1 + erf(x / √2)), the 0.5 applied to x or to the product
 * (torch's `Div → Erf → Add → Mul → Mul`); its tanh form x · 0.5 · (1 + tanh(√(2/π)(x + 0.044715x³)))
 * (`approximate="tanh"`: `Pow → Mul → Add → Mul → Tanh → Add → Mul → Mul`); and the Gelu operator itself.
 */
export function geluChains(graph: Graph): DecomposedOp[] {
  const chains: DecomposedOp[] = graph.calls("Gelu").filter((n) => n.args[0]).map((n) => ({ input: n.args[0]!, nodes: [n], output: n }));
  for (const tanh of graph.calls("Tanh")) {
    const arg = tanhArgument(tanh.args[0]);
    const chain = arg && productWithHalf(tanh, arg.x);
    if (arg && chain) chains.push({ input: arg.x, nodes: [...arg.nodes, ...chain.nodes], output: chain.output });
  }
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

/** (1 + f) · x · 0.5 after f (GELU's Erf or Tanh), the 0.5 on x or on the product: f and the nodes after it. */
function productWithHalf(f: Node, x: Node): { nodes: Node[]; output: Node } | undefined {
  const plusOne = onlyUser(f, "Add");
  const product = plusOne && isConstant(otherArg(plusOne, f)) ? onlyUser(plusOne, "Mul") : undefined;
  if (!plusOne || !product) return undefined;
  const factor = otherArg(product, plusOne);
  if (factor === x) {
    const half = onlyUser(product, "Mul");
    return half && isConstant(otherArg(half, product)) ? { nodes: [f, plusOne, product, half], output: half } : undefined;
  }
  if (factor && factor.opType === "Mul" && factor.args.includes(x) && isConstant(otherArg(factor, x)) && factor.users.size === 1) {
    return { nodes: [factor, f, plusOne, product], output: product };
  }
  return undefined;
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
