// Recognizing the pieces of a Q/DQ island: quantized activations (DequantizeLinear of an integer tensor), constant
// int8 weights and int32 biases (DequantizeLinear of parameters), and the QuantizeLinear an operator's output goes to.
import type { Node } from "../graph/node.js";
import { tensorToNumbers } from "../onnx/tensor-data.js";
import { isQdqOp } from "../onnx/qdq-ops.js";

export const ACTIVATION_DTYPES = new Set(["uint8", "int8", "int16"]);
export const BYTE_DTYPES = new Set(["uint8", "int8"]);

/** A quantized activation read through a DequantizeLinear: the integer tensor and its per-tensor parameters. */
export interface QuantizedInput {
  value: Node;
  scale: Node;
  zp: Node | null;
}

/** Constant integers behind a DequantizeLinear (weights or bias), with its scale, zero point and axis. */
export interface QuantizedConstant {
  data: Node;
  scale: Node;
  zp: Node | null;
  axis: number;
}

export type Match<T> = T | string;

/** Round half to even, as QuantizeLinear rounds. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function isCall(node: Node | null | undefined, opType: string): boolean {
  return !!node && node.kind === "call" && node.opType === opType && (node.domain === "" || node.domain === "ai.onnx" || isQdqOp(node.domain, opType));
}

function scalarParameter(node: Node | null | undefined): boolean {
  return !!node && node.kind === "parameter" && tensorToNumbers(node.tensor!).length === 1;
}

function perTensorParams(op: Node): boolean {
  return op.intAttribute("block_size", 0) === 0 && scalarParameter(op.args[1]) && (!op.args[2] || scalarParameter(op.args[2]));
}

/** `arg` as a quantized activation, or why it is not one. */
export function quantizedInput(arg: Node | null | undefined, what: string): Match<QuantizedInput> {
  if (!arg || !isCall(arg, "DequantizeLinear")) return `${what} is not quantized (no DequantizeLinear before it); quantize that edge (an input spec) to run this node in int8`;
  const value = arg.args[0]!;
  if (value.kind === "parameter") return `${what} is a quantized constant, which is stored in int8 and dequantized once (weight-only, as ONNX Runtime does); the node itself computes in float32`;
  if (!ACTIVATION_DTYPES.has(value.meta.dtype ?? "")) return `${what} is quantized to ${value.meta.dtype ?? "an unknown type"}, and the integer kernels take uint8, int8 and int16; use one of those dtypes in its spec`;
  if (!perTensorParams(arg)) return `${what} is quantized per channel or with parameters computed at run time; give it a per-tensor spec to run this node in int8`;
  return { value, scale: arg.args[1]!, zp: arg.args[2] ?? null };
}

/** `arg` as a quantized activation or a per-tensor quantized constant of a byte type (an operand of QAdd, QMul, QMatMul). */
export function quantizedOperand(arg: Node | null | undefined, what: string): Match<QuantizedInput> {
  if (arg && isCall(arg, "DequantizeLinear") && arg.args[0]?.kind === "parameter") {
    const value = arg.args[0];
    if (!BYTE_DTYPES.has(value.meta.dtype ?? "")) return `${what} is a constant of ${value.meta.dtype ?? "unknown type"}; quantize it to uint8 or int8 to run this node in int8`;
    if (!perTensorParams(arg)) return `${what} is a constant quantized per channel; quantize it per tensor to run this node in int8`;
    return { value, scale: arg.args[1]!, zp: arg.args[2] ?? null };
  }
  return quantizedInput(arg, what);
}

/** `arg` as dequantized constant integers of `dtype`, or why not. */
export function quantizedConstant(arg: Node | null | undefined, dtype: string, what: string): Match<QuantizedConstant> {
  if (!arg || !isCall(arg, "DequantizeLinear")) return `${what} is not a DequantizeLinear of ${dtype} constants`;
  const data = arg.args[0]!;
  if (data.kind !== "parameter" || data.meta.dtype !== dtype) return `${what} is not a DequantizeLinear of ${dtype} constants`;
  if (arg.intAttribute("block_size", 0) !== 0) return `${what} is block-quantized`;
  const scale = arg.args[1]!;
  if (scale.kind !== "parameter") return `${what} has a scale computed at run time`;
  const zp = arg.args[2] ?? null;
  if (zp && zp.kind !== "parameter") return `${what} has a zero point computed at run time`;
  if (zp && tensorToNumbers(zp.tensor!).some((z) => z !== 0)) return `${what} has a nonzero zero point (asymmetric weights)`;
  const rank = data.meta.shape?.length ?? 1;
  const axis = arg.intAttribute("axis", 1);
  return { data, scale, zp, axis: axis < 0 ? axis + rank : axis };
}

/** A QuantizeLinear that takes an operator's output, possibly through a Relu/Clip, which becomes an output clamp. */
export interface QuantizedOutput {
  quantize: Node;
  scale: Node;
  zp: Node | null;
  clampMin?: number;
  clampMax?: number;
  /** The Relu/Clip folded into the output clamp. */
  activation?: Node;
  /** Further QuantizeLinear nodes with the same parameters on the same output (exporters emit one per consumer). */
  duplicates: Node[];
}

function paramValues(q: Node): string {
  return [q.args[1], q.args[2]].map((a) => (a ? tensorToNumbers(a.tensor!).join(",") : "-")).join("|") + `|${q.meta.dtype}`;
}

/**
 * The one consumer of `node`'s output, where several QuantizeLinear nodes with identical parameters count as one
 * (returned first, the others after it).
 */
function onlyUser(node: Node): Node[] | undefined {
  if (node.users.size === 0 || node.graph.outputs.includes(node)) return undefined;
  const users = dataReaders(node).sort((a, b) => node.graph.indexOf(a) - node.graph.indexOf(b));
  if (users.length === 0) return undefined;
  if (users.length === 1) return users;
  if (!users.every((u) => isCall(u, "QuantizeLinear") && perTensorParams(u))) return undefined;
  const key = paramValues(users[0]!);
  return users.every((u) => paramValues(u) === key) ? users : undefined;
}

/**
 * The users of `node` that read its values: a Shape reads only its shape, which the integer tensor that replaces it
 * has too (exporters take the shape of attention's q, k and v slices this way).
 */
export function dataReaders(node: Node): Node[] {
  return [...node.users].filter((u) => !isCall(u, "Shape"));
}

/** Move the Shape users of a float value that lowering removes onto the integer value of the same shape. */
export function moveShapeReaders(from: Node, to: Node): void {
  from.replaceAllUsesWith(to, (u) => isCall(u, "Shape"));
}

/** Whether any of `nodes` has a Shape user (the integer value must then be placed before the first of them). */
export function hasShapeReaders(...nodes: (Node | undefined)[]): boolean {
  return nodes.some((n) => !!n && [...n.users].some((u) => isCall(u, "Shape")));
}

/** The Relu or Clip bounds of `node`, when they are constants. */
export function clipBounds(node: Node): { lo: number; hi: number } | undefined {
  if (isCall(node, "Relu")) return { lo: 0, hi: Infinity };
  if (!isCall(node, "Clip")) return undefined;
  if (node.attributes.has("min") || node.attributes.has("max")) {
    return { lo: node.floatAttribute("min", -Infinity), hi: node.floatAttribute("max", Infinity) };
  }
  const bound = (i: number, fallback: number): number | undefined => {
    const a = node.args[i];
    if (!a) return fallback;
    if (a.kind !== "parameter") return undefined;
    return tensorToNumbers(a.tensor!)[0];
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : { lo, hi };
}

/** Where `node`'s output is quantized, or why it is not (only). */
export function quantizedOutput(node: Node, fuseActivation: boolean): Match<QuantizedOutput> {
  let users = onlyUser(node);
  if (!users) {
    return node.meta.readByName === true ? "a subgraph (an If branch, a Loop or Scan body) reads its float32 output by name; only the nodes after it can run in int8"
      : node.graph.outputs.includes(node) ? "its output is a float32 output of the model; quantize it (an output spec) to run this node in int8 and dequantize only the result"
      : `its output goes to ${node.users.size} consumers that do not all read it quantized; quantize its output (an output spec) so that they do`;
  }
  let activation: Node | undefined;
  let bounds: { lo: number; hi: number } | undefined;
  if (fuseActivation && users.length === 1 && (bounds = clipBounds(users[0]!))) {
    activation = users[0]!;
    users = onlyUser(activation);
    if (!users) return `the output of its ${activation.opType} is not quantized (only); quantize it (an output spec on the ${activation.opType}) to run both in int8`;
  }
  const user = users[0]!;
  if (!isCall(user, "QuantizeLinear")) return `its output goes to ${user.opType} ${user.name}, not a QuantizeLinear: the output is not quantized; add an output spec to run it in int8`;
  if (!perTensorParams(user)) return "its output is quantized per channel or with parameters computed at run time; give it a per-tensor spec to run it in int8";
  if (!ACTIVATION_DTYPES.has(user.meta.dtype ?? "")) return `its output is quantized to ${user.meta.dtype ?? "an unknown type"}, and the integer kernels produce uint8, int8 and int16; use one of those dtypes in its spec`;
  return {
    quantize: user, scale: user.args[1]!, zp: user.args[2] ?? null, activation, duplicates: users.slice(1),
    ...(bounds ? { clampMin: bounds.lo, clampMax: bounds.hi } : {}),
  };
}

export function failed<T>(m: Match<T>): m is string {
  return typeof m === "string";
}

/** `result` produces the quantized output from now on: every QuantizeLinear of it (the duplicates too) gives way. */
export function replaceQuantizedOutput(out: QuantizedOutput, result: Node): void {
  for (const q of [...out.duplicates, out.quantize]) {
    q.replaceAllUsesWith(result);
    q.graph.eraseNode(q);
  }
}
