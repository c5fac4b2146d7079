import type { GraphNodeState } from "qkit-language-server/protocol";

/** Netron's op categories and their fills, so a model looks as it does there. */
const CATEGORIES: [string, string[]][] = [
  ["#335588", ["Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "LSTM", "GRU", "RNN", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger"]],
  ["#702921", ["Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu", "Gelu", "Softmax", "LogSoftmax", "Softplus", "Mish"]],
  ["#335533", ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool"]],
  ["#335544", ["BatchNormalization", "LayerNormalization", "InstanceNormalization", "LRN", "GroupNormalization"]],
  ["#454770", ["Dropout"]],
  ["#6c4f47", ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Shape", "Size", "Expand"]],
  ["#59423b", ["Concat", "Split", "Gather", "GatherElements", "Slice", "Pad", "Tile", "Resize", "Identity", "Cast"]],
  ["#502800", ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"]],
];
const BY_OP = new Map(CATEGORIES.flatMap(([colour, ops]) => ops.map((op) => [op, colour] as const)));

/** Elementwise arithmetic and anything unknown: Netron's near-black. */
export function opColour(opType: string): string {
  if (opType === "input" || opType === "output") return "#6b6b6b";
  return BY_OP.get(opType) ?? "#2b2b2b";
}

export const STATE_COLOURS: Record<GraphNodeState, string> = {
  annotated: "#2e9e5b",
  shared: "#8e6bc4",
  fixed: "#d08a1e",
  derived: "#2a9db0",
  float: "#7a7a7a",
};

export const STATE_LABELS: Record<GraphNodeState, string> = {
  annotated: "annotated",
  shared: "shared group",
  fixed: "fixed qparams",
  derived: "derived",
  float: "left float",
};

/**
 * SQNR in dB to a red–yellow–green scale centred on the warning threshold: red 10 dB below it, green 20 dB above.
 * null (identical to float) is the best green; undefined (not compared) has no colour.
 */
export function sqnrColour(sqnr: number | null | undefined, threshold: number): string | undefined {
  if (sqnr === undefined) return undefined;
  const t = sqnr === null ? 1 : Math.min(1, Math.max(0, (sqnr - (threshold - 10)) / 30));
  return `hsl(${Math.round(t * 120)}, 62%, 38%)`;
}

/** The worst (lowest) SQNR of a set of nodes; null when all are identical, undefined when none was compared. */
export function worstSqnr(values: (number | null | undefined)[]): number | null | undefined {
  let worst: number | null | undefined;
  for (const v of values) {
    if (v === undefined) continue;
    if (v === null) worst ??= null;
    else if (worst === undefined || worst === null || v < worst) worst = v;
  }
  return worst;
}
