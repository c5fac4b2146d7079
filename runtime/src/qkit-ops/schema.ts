/**
 * The com.qkit integer operators: the one contract between `lower()`, which emits them, and the engine, which runs
 * them. Each takes its integer activations with their scale and zero point (as QLinearConv does) and produces
 * integers with the output's; a fused Relu/Clip is the float interval [clamp_min, clamp_max] the output is clipped
 * to before quantization. This module imports nothing: lower and the engine both depend on it, never on each other.
 */
export const QKIT_DOMAIN = "com.qkit";

export type QkitAttributeType = "int" | "float" | "string" | "ints";

export interface QkitOpSchema {
  /** Inputs in order; a name ending in `?` may be absent (an empty name in ONNX, null in the IR). */
  readonly inputs: readonly string[];
  /** Inputs repeated after `inputs`, one group per operand (QConcat's tensors); at least one group. */
  readonly repeated?: readonly string[];
  /** Every attribute the operator reads, with its type; any other attribute is an error. */
  readonly attributes: Readonly<Record<string, QkitAttributeType>>;
}

const CLAMP = { clamp_min: "float", clamp_max: "float" } as const;
const WINDOW = { auto_pad: "string", kernel_shape: "ints", strides: "ints", pads: "ints", dilations: "ints" } as const;
// A zero point may be absent (uint8, zero), as in DequantizeLinear.
const LINEAR_INPUTS = ["x", "xScale", "xZeroPoint?", "w", "wScale", "wZeroPoint?", "yScale", "yZeroPoint?", "bias?", "biasScale?"] as const;
const BINARY_INPUTS = ["a", "aScale", "aZeroPoint?", "b", "bScale", "bZeroPoint?", "yScale", "yZeroPoint?"] as const;
const UNARY_INPUTS = ["x", "xScale", "xZeroPoint?", "yScale", "yZeroPoint?"] as const;

export const QKIT_SCHEMA = {
  /** A convolution (grouped and depthwise included) with int8 weights, an optional int32 bias and a fused clamp. */
  /**
   * With midScale: quantized to (midScale, midZeroPoint) first, then dequantized, clipped to [mid_clamp_min,
   * mid_clamp_max] and quantized to the output (a Relu/Clip between two Q/DQ pairs, folded into the store).
   */
  QConv: { inputs: [...LINEAR_INPUTS, "midScale?", "midZeroPoint?"], attributes: { ...WINDOW, group: "int", ...CLAMP, mid_clamp_min: "float", mid_clamp_max: "float" } },
  /** Y = X·Wᵀ (transB=1) or X·W (transB=0) over X's last axis, int8 constant weights. */
  QGemm: { inputs: LINEAR_INPUTS, attributes: { transB: "int", ...CLAMP } },
  /** b may also be a float32 constant, used as it is (its bScale 1, no zero point): y = Q(DQ(a) + b). */
  QAdd: { inputs: BINARY_INPUTS, attributes: CLAMP },
  QMul: { inputs: BINARY_INPUTS, attributes: CLAMP },
  QMaxPool: { inputs: UNARY_INPUTS, attributes: { ...WINDOW, ceil_mode: "int", storage_order: "int" } },
  QAveragePool: { inputs: UNARY_INPUTS, attributes: { ...WINDOW, ceil_mode: "int", count_include_pad: "int" } },
  QGlobalAveragePool: { inputs: UNARY_INPUTS, attributes: {} },
  /** The inputs requantized to the output's parameters and concatenated along `axis`. */
  QConcat: { inputs: ["yScale", "yZeroPoint?"], repeated: ["x", "xScale", "xZeroPoint?"], attributes: { axis: "int" } },
  /**
   * Any elementwise float op (`op`, with its own attributes alpha/beta) of one byte tensor, as a 256-entry table;
   * `op` may also name a chain exporters decompose (Silu, Gelu, GeluTanh; HardSwish with alpha/beta), or Mul, Add and Div
   * by the float32 constant alpha. With midScale (and midZeroPoint), x is first requantized to those parameters, as a
   * QuantizeLinear → DequantizeLinear pair before the op would (a requantization folded into the table after it).
   * With gateScale (and gateZeroPoint), the output is x times the op's result quantized to those parameters, as
   * QMul(x, QLut(x)) computes it: hardswish and SiLU as exporters write them, x · HardSigmoid(x) and x · Sigmoid(x),
   * with the gate quantized between the two.
   */
  QLut: { inputs: [...UNARY_INPUTS, "midScale?", "midZeroPoint?", "gateScale?", "gateZeroPoint?"], attributes: { op: "string", alpha: "float", beta: "float", ...CLAMP } },
  /** Softmax along `axis` of a quantized byte tensor, quantized: the DequantizeLinear → Softmax → QuantizeLinear island in one op. */
  QSoftmax: { inputs: UNARY_INPUTS, attributes: { axis: "int" } },
  /**
   * LayerNormalization over the axes from `axis` on of a quantized byte tensor, quantized: the DequantizeLinear →
   * LayerNormalization → QuantizeLinear island in one op; `scale` (γ) and `bias` (β) are float32 constants.
   */
  QLayerNorm: { inputs: ["x", "xScale", "xZeroPoint?", "scale", "bias?", "yScale", "yZeroPoint?"], attributes: { axis: "int", epsilon: "float" } },
  /**
   * A·B over the last two axes (batch axes broadcast) of two quantized activations, as attention multiplies; without
   * yScale the output is float32 (the products times s_a·s_b).
   */
  QMatMul: { inputs: ["a", "aScale", "aZeroPoint?", "b", "bScale", "bZeroPoint?", "yScale?", "yZeroPoint?"], attributes: CLAMP },
  /** ConvTranspose with int8 weights (per tensor or per output channel), an optional int32 bias and a fused clamp. */
  QConvTranspose: { inputs: LINEAR_INPUTS, attributes: { ...WINDOW, group: "int", output_padding: "ints", output_shape: "ints", ...CLAMP } },
  /** Resize (linear and cubic modes) of a quantized tensor; roi, scales and sizes as Resize takes them. */
  QResize: {
    inputs: [...UNARY_INPUTS, "roi?", "scales?", "sizes?"],
    attributes: { mode: "string", coordinate_transformation_mode: "string", nearest_mode: "string", cubic_coeff_a: "float",
      exclude_outside: "int", extrapolation_value: "float", antialias: "int", axes: "ints", keep_aspect_ratio_policy: "string" },
  },
} as const satisfies Record<string, QkitOpSchema>;

export type QkitOp = keyof typeof QKIT_SCHEMA;
export const QKIT_OPS = Object.keys(QKIT_SCHEMA) as QkitOp[];

type Bare<T> = T extends `${infer N}?` ? N : T;
type InputsOf<O extends QkitOp> = Bare<(typeof QKIT_SCHEMA)[O]["inputs"][number]>;
type RepeatedOf<O extends QkitOp> = Bare<(typeof QKIT_SCHEMA)[O] extends { repeated: readonly (infer R extends string)[] } ? R : never>;

/** An input's name without its optional mark, and whether it may be absent. */
export function qkitInputName(entry: string): { name: string; optional: boolean } {
  return entry.endsWith("?") ? { name: entry.slice(0, -1), optional: true } : { name: entry, optional: false };
}

/** Input positions by name: `qkitInputs("QConv").wScale` is 4. */
export function qkitInputs<O extends QkitOp>(op: O): { readonly [K in InputsOf<O>]: number } {
  const schema: QkitOpSchema = QKIT_SCHEMA[op];
  return Object.fromEntries(schema.inputs.map((entry, i) => [qkitInputName(entry).name, i])) as { [K in InputsOf<O>]: number };
}

/** Positions of a repeated group's inputs, relative to the group's first (group j starts at inputs.length + j·size). */
export function qkitRepeated<O extends QkitOp>(op: O): { readonly first: number; readonly size: number; readonly at: { readonly [K in RepeatedOf<O>]: number } } {
  const schema: QkitOpSchema = QKIT_SCHEMA[op];
  const repeated = schema.repeated ?? [];
  return { first: schema.inputs.length, size: repeated.length, at: Object.fromEntries(repeated.map((n, i) => [qkitInputName(n).name, i])) as never };
}

/**
 * The positional argument list of an operator from its inputs by name (absent optional inputs become `absent`),
 * followed by the repeated groups. Throws on a missing required input: an emitter's bug, not a user's mistake.
 */
export function qkitArgs<O extends QkitOp, T>(op: O, inputs: { readonly [K in InputsOf<O>]?: T | null }, absent: NoInfer<T>,
  repeated: readonly { readonly [K in RepeatedOf<O>]: T }[] = []): T[] {
  const schema: QkitOpSchema = QKIT_SCHEMA[op];
  const byName = inputs as Record<string, T | null | undefined>;
  const pick = (entries: readonly string[], values: Record<string, T | null | undefined>) => entries.map((entry) => {
    const { name, optional } = qkitInputName(entry);
    const value = values[name];
    if (value !== undefined && value !== null) return value;
    if (optional) return absent;
    throw new Error(`internal: ${QKIT_DOMAIN}.${op} emitted without its input ${name}`);
  });
  const args = pick(schema.inputs, byName);
  for (const group of repeated) args.push(...pick(schema.repeated ?? [], group as Record<string, T>));
  return args;
}
