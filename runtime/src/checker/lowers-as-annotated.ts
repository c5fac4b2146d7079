// Whether lower() will run a node on integer kernels once the model is converted as annotated: the same conditions
// its rules check on the Q/DQ model (every data input and the output quantized, a Relu/Clip or a Linear's bias Add
// fused into the op before them), read off the annotations instead. The coverage table counts int8 with it, so it says
// int8 exactly where `qkit inspect --lowered` does.
import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { valuesReadByName } from "../graph/subgraph-scope.js";
import { findElementwiseChains } from "../engine/fusion-eltwise.js";
import type { ValueMeta } from "../engine/op.js";
import { tensorDataType, tensorValues } from "../onnx/tensor-data.js";
import { annotationOf } from "../quantizer/annotation.js";
import { isSpec } from "../quantizer/specs.js";
import { binaryShapeProblem, floatOperandFits, LOWERED_OP_TYPES, windowProblem } from "../qkit-ops/capabilities.js";

const LINEAR = new Set(["Conv", "Gemm", "ConvTranspose"]);
const BINARY = new Set(["Add", "Mul", "MatMul"]);
/** Ops whose integer operator takes a following Relu/Clip as its output clamp. */
const FUSES_CLAMP = new Set(["Conv", "Gemm", "MatMul", "ConvTranspose", "Add", "Mul"]);
const CLAMPS = new Set(["Relu", "Clip"]);

/** The inputs that carry quantized data (not shapes, indices, scales or Clip bounds). */
function dataArgs(node: Node): Node[] {
  const args = LINEAR.has(node.opType) ? node.args.slice(0, 3) : BINARY.has(node.opType) ? node.args.slice(0, 2)
    : node.opType === "Concat" ? node.args : node.args.slice(0, 1);
  return args.filter((a): a is Node => !!a);
}

/** The edge from `arg` into `node` is quantized: the node's input spec for it, or the spec on `arg`'s output. */
function edgeQuantized(node: Node, arg: Node): boolean {
  return isSpec(annotationOf(node)?.inputQspecMap.get(arg)) || (arg.kind !== "parameter" && isSpec(annotationOf(arg)?.outputQspec));
}

const readByNameIn = new WeakMap<Graph, Set<Node>>();

/**
 * Whether a subgraph reads the value by name: lower() keeps it float32, as it keeps graph outputs. The checker
 * annotates a graph it does not change, so the set is worked out once per graph.
 */
function readByName(node: Node): boolean {
  let values = readByNameIn.get(node.graph);
  if (!values) readByNameIn.set(node.graph, (values = new Set(valuesReadByName(node.graph))));
  return values.has(node);
}

/** The output goes through a QuantizeLinear before anything reads it. */
function outputQuantized(node: Node): boolean {
  if (readByName(node)) return false;
  if (isSpec(annotationOf(node)?.outputQspec)) return true;
  if (node.users.size === 0 || node.graph.outputs.includes(node)) return false;
  return [...node.users].every((u) => isSpec(annotationOf(u)?.inputQspecMap.get(node)));
}

function onlyUser(node: Node): Node | undefined {
  return node.users.size === 1 && !node.graph.outputs.includes(node) && !readByName(node) ? [...node.users][0] : undefined;
}

/** A Relu/Clip after `node` that becomes its output clamp: its output is quantized, `node`'s is not. */
function fusedClamp(node: Node): Node | undefined {
  const user = onlyUser(node);
  return FUSES_CLAMP.has(node.opType) && user && CLAMPS.has(user.opType) && !outputQuantized(node) && outputQuantized(user) ? user : undefined;
}

/** A Linear's bias Add after a MatMul by a constant: the Add of a quantized constant, whose output is quantized. */
function fusedBias(node: Node): Node | undefined {
  const add = onlyUser(node);
  if (node.opType !== "MatMul" || node.args[1]?.kind !== "parameter" || !add || add.opType !== "Add" || outputQuantized(node)) return undefined;
  const other = add.args[0] === node ? add.args[1] : add.args[0];
  return other?.kind === "parameter" && edgeQuantized(add, other) && (outputQuantized(add) || !!fusedClamp(add)) ? add : undefined;
}

/** Whether `node`'s own integer operator runs it (its inputs and output quantized, up to a fused clamp or bias). */
function lowersItself(node: Node): boolean {
  if (!LOWERED_OP_TYPES.has(node.opType) || !node.isFloatValue) return false;
  // Div lowers as a table: only by a constant.
  if (node.opType === "Div" && node.args[1]?.kind !== "parameter") return false;
  // 3-D windows and MaxPool's Indices output stay float32, as lower() keeps them.
  const spatialAxes = node.opType === "Conv" ? (node.args[1]?.meta.shape?.length ?? 4) - 2 : (node.intsAttribute("kernel_shape")?.length ?? 2);
  if (windowProblem(node.opType, spatialAxes, node.outputNames.filter(Boolean).length)) return false;
  // LayerNormalization lowers with float32 γ and β, and without its statistics outputs.
  if (node.opType === "LayerNormalization" && (node.outputNames.length !== 1 || node.args.slice(1).some((a) => !!a && (a.kind !== "parameter" || edgeQuantized(node, a))))) return false;
  const data = dataArgs(node);
  // Add or Mul by a float32 constant lowers with the constant as it is: a table of the other input for a scalar,
  // QAdd/QMul with a float b for a tensor that broadcasts into the other input.
  if ((node.opType === "Add" || node.opType === "Mul") && data.length === 2) {
    const constant = data.find((a) => a.kind === "parameter" && a.meta.dtype === "float32" && !edgeQuantized(node, a));
    const other = data.find((a) => a !== constant);
    if (constant && other && other.kind !== "parameter" && edgeQuantized(node, other)) {
      const scalar = (constant.meta.shape ?? []).every((d) => d === 1);
      return (scalar || floatOperandFits(other.meta.shape, constant.meta.shape)) && (outputQuantized(node) || (!scalar && !!fusedClamp(node)));
    }
  }
  if (data.length === 0 || !data.every((a) => edgeQuantized(node, a))) return false;
  if ((node.opType === "Add" || node.opType === "Mul") && data.length === 2 && binaryShapeProblem(data[0]!.meta.shape, data[1]!.meta.shape)) return false;
  return outputQuantized(node) || !!fusedClamp(node) || !!fusedBias(node);
}

/** An elementwise function exporters write as several nodes (SiLU, HardSwish, GELU): its input and all its nodes. */
export interface ElementwiseChain {
  x: Node;
  root: Node;
  members: ReadonlySet<Node>;
}

/**
 * The chains lower() turns into one table, found by the same matcher (the float engine's), per member node. Only the
 * graph's structure decides them, so one walk serves a whole coverage count.
 */
export function elementwiseChains(graph: Graph, opset: number): Map<Node, ElementwiseChain> {
  const constant = (n: Node): ValueMeta => ({ dtype: tensorDataType(n.tensor!), dims: (n.tensor!.dims ?? []).map(Number), value: tensorValues(n.tensor!) });
  const found = findElementwiseChains(graph, opset, constant);
  const byNode = new Map<Node, ElementwiseChain>();
  for (const [root, chain] of found) {
    if (chain === "skip" || !chain.args[0] || chain.args[0].kind === undefined) continue;
    const members = new Set<Node>([root]);
    // Inner nodes are the "skip" entries that lead, user by user, to this root.
    for (const [n, c] of found) {
      if (c !== "skip") continue;
      let r: Node | undefined = n;
      while (r && found.get(r) === "skip") r = [...r.users][0];
      if (r === root) members.add(n);
    }
    const entry = { x: chain.args[0] as Node, root, members };
    for (const m of members) byNode.set(m, entry);
  }
  return byNode;
}

/** A chain lowers as one table when every edge from its input into it is quantized, and its output is. */
function chainLowers(chain: ElementwiseChain): boolean {
  const readers = [...chain.x.users].filter((u) => chain.members.has(u));
  return readers.length > 0 && readers.every((u) => edgeQuantized(u, chain.x)) && outputQuantized(chain.root);
}

/** Whether lower() will run `node` in int8: by its own integer operator, or fused into the one before it. */
export function lowersAsAnnotated(node: Node, chains: ReadonlyMap<Node, ElementwiseChain> = new Map()): boolean {
  const chain = chains.get(node);
  // A chain that cannot be a table leaves each of its nodes to its own rule, as lower() does.
  if (chain && chainLowers(chain)) return true;
  if (lowersItself(node)) return true;
  // Exporters write a Linear's bias Add either way round (bias + x·W, x·W + bias).
  if (node.opType === "Add") {
    for (const arg of node.args) if (arg && arg.kind === "call" && fusedBias(arg) === node && lowersItself(arg)) return true;
  }
  const producer = node.args[0];
  if (!producer || producer.kind !== "call") return false;
  if (CLAMPS.has(node.opType)) {
    const linear = producer.opType === "Add" ? producer.args.find((a): a is Node => !!a && a.kind === "call" && fusedBias(a) === producer) : undefined;
    if (fusedClamp(producer) === node && lowersItself(linear ?? producer)) return true;
  }
  return false;
}
