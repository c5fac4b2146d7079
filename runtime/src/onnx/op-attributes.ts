/**
 * The attributes each default-domain (ai.onnx) operator defines, with their types, for the operators qkit's engine
 * runs: the union over opsets 7 to 26 (an attribute a later opset dropped is still accepted). A node of these types
 * with an attribute not listed, or listed with another type, is refused on load, as ONNX Runtime refuses it.
 * Operators not listed here are not checked.
 */
export type AttributeKind = "INT" | "FLOAT" | "STRING" | "INTS" | "FLOATS" | "STRINGS" | "TENSOR" | "SPARSE_TENSOR";

type Table = Record<string, Record<string, AttributeKind>>;

const NONE = {};
const window = { auto_pad: "STRING", kernel_shape: "INTS", pads: "INTS", strides: "INTS", dilations: "INTS" } as const;
const conv = { ...window, group: "INT" } as const;
const reduce = { axes: "INTS", keepdims: "INT", noop_with_empty_axes: "INT" } as const;
const argReduce = { axis: "INT", keepdims: "INT", select_last_index: "INT" } as const;
const cast = { to: "INT", saturate: "INT", round_mode: "STRING" } as const;
const alpha = { alpha: "FLOAT" } as const;
const loss = { ignore_index: "INT", reduction: "STRING" } as const;

const without = (names: string): Table => Object.fromEntries(names.split(" ").map((n) => [n, NONE]));

export const OP_ATTRIBUTES: Table = {
  ...without("Abs Acos Acosh Asin Asinh Atan Atanh Ceil Cos Cosh Erf Exp Floor Log Neg Not Reciprocal Relu Round Sigmoid Sign Sin Sinh Softplus Softsign Sqrt Tan Tanh Identity Size IsNaN HardSwish Mish"),
  ...without("Add Sub Mul Div Pow And Or Xor Equal Greater Less GreaterOrEqual LessOrEqual Max Min Mean Sum Where PRelu Expand Tile Range MatMul MatMulInteger QLinearMatMul DynamicQuantizeLinear GlobalAveragePool GlobalMaxPool"),
  Shape: { start: "INT", end: "INT" },
  Mod: { fmod: "INT" },
  BitShift: { direction: "STRING" },
  Elu: alpha, Celu: alpha, LeakyRelu: alpha, ThresholdedRelu: alpha,
  Selu: { alpha: "FLOAT", gamma: "FLOAT" },
  HardSigmoid: { alpha: "FLOAT", beta: "FLOAT" },
  Shrink: { bias: "FLOAT", lambd: "FLOAT" },
  Gelu: { approximate: "STRING" },
  Clip: { min: "FLOAT", max: "FLOAT" },
  IsInf: { detect_negative: "INT", detect_positive: "INT" },
  Softmax: { axis: "INT" }, LogSoftmax: { axis: "INT" }, Hardmax: { axis: "INT" },
  ArgMax: argReduce, ArgMin: argReduce,
  ReduceL1: reduce, ReduceL2: reduce, ReduceLogSum: reduce, ReduceLogSumExp: reduce, ReduceMax: reduce, ReduceMean: reduce,
  ReduceMin: reduce, ReduceProd: reduce, ReduceSum: reduce, ReduceSumSquare: reduce,
  CumSum: { exclusive: "INT", reverse: "INT" }, CumProd: { exclusive: "INT", reverse: "INT" },
  Swish: alpha,
  BitCast: { to: "INT" },
  Attention: {
    is_causal: "INT", kv_num_heads: "INT", q_num_heads: "INT", qk_matmul_output_mode: "INT", scale: "FLOAT", softcap: "FLOAT",
    softmax_precision: "INT", left_window_size: "INT", right_window_size: "INT",
  },
  RMSNormalization: { axis: "INT", epsilon: "FLOAT", stash_type: "INT" },
  RotaryEmbedding: { interleaved: "INT", num_heads: "INT", rotary_embedding_dim: "INT" },
  TensorScatter: { axis: "INT", mode: "STRING" },
  Cast: cast, CastLike: { saturate: "INT", round_mode: "STRING" },
  Concat: { axis: "INT" },
  Split: { axis: "INT", split: "INTS", num_outputs: "INT" },
  Squeeze: { axes: "INTS" }, Unsqueeze: { axes: "INTS" },
  Flatten: { axis: "INT" },
  Reshape: { allowzero: "INT" },
  Transpose: { perm: "INTS" },
  Gather: { axis: "INT" }, GatherElements: { axis: "INT" }, GatherND: { batch_dims: "INT" },
  Scatter: { axis: "INT" }, ScatterElements: { axis: "INT", reduction: "STRING" }, ScatterND: { reduction: "STRING" },
  Slice: { starts: "INTS", ends: "INTS", axes: "INTS" },
  Pad: { mode: "STRING", pads: "INTS", value: "FLOAT" },
  Constant: {
    value: "TENSOR", value_float: "FLOAT", value_floats: "FLOATS", value_int: "INT", value_ints: "INTS",
    value_string: "STRING", value_strings: "STRINGS", sparse_value: "SPARSE_TENSOR",
  },
  ConstantOfShape: { value: "TENSOR" },
  EyeLike: { dtype: "INT", k: "INT" },
  OneHot: { axis: "INT" },
  TopK: { axis: "INT", largest: "INT", sorted: "INT", k: "INT" },
  Trilu: { upper: "INT" },
  DepthToSpace: { blocksize: "INT", mode: "STRING" },
  SpaceToDepth: { blocksize: "INT" },
  Dropout: { ratio: "FLOAT", seed: "INT" },
  Conv: conv, ConvInteger: conv, QLinearConv: conv,
  ConvTranspose: { ...conv, output_padding: "INTS", output_shape: "INTS" },
  MaxPool: { ...window, ceil_mode: "INT", storage_order: "INT" },
  MaxUnpool: { kernel_shape: "INTS", pads: "INTS", strides: "INTS" },
  AveragePool: { ...window, ceil_mode: "INT", count_include_pad: "INT" },
  LRN: { alpha: "FLOAT", beta: "FLOAT", bias: "FLOAT", size: "INT" },
  BatchNormalization: { epsilon: "FLOAT", momentum: "FLOAT", training_mode: "INT", spatial: "INT" },
  InstanceNormalization: { epsilon: "FLOAT" },
  GroupNormalization: { epsilon: "FLOAT", num_groups: "INT", stash_type: "INT" },
  GridSample: { align_corners: "INT", mode: "STRING", padding_mode: "STRING" },
  LayerNormalization: { axis: "INT", epsilon: "FLOAT", stash_type: "INT" },
  MeanVarianceNormalization: { axes: "INTS" },
  Gemm: { alpha: "FLOAT", beta: "FLOAT", transA: "INT", transB: "INT" },
  QuantizeLinear: { axis: "INT", saturate: "INT", block_size: "INT", output_dtype: "INT", precision: "INT" },
  DequantizeLinear: { axis: "INT", block_size: "INT", output_dtype: "INT" },
  Resize: {
    antialias: "INT", axes: "INTS", coordinate_transformation_mode: "STRING", cubic_coeff_a: "FLOAT", exclude_outside: "INT",
    extrapolation_value: "FLOAT", keep_aspect_ratio_policy: "STRING", mode: "STRING", nearest_mode: "STRING",
  },
  Upsample: { mode: "STRING", scales: "FLOATS" },
  NegativeLogLikelihoodLoss: loss, SoftmaxCrossEntropyLoss: loss,
};

/**
 * The opset each operator of opsets 14 and later entered ONNX in: a node of one in a model of an older opset is
 * refused on load, as ONNX Runtime refuses it (it finds no kernel for that opset). LayerNormalization is not here:
 * ONNX Runtime runs it in the default domain at any opset, and exporters wrote it so before opset 17.
 */
export const OP_SINCE: Record<string, number> = {
  Trilu: 14, HardSwish: 14, CastLike: 15, Bernoulli: 15, Optional: 15, OptionalHasElement: 15, OptionalGetElement: 15,
  GridSample: 16, SequenceMap: 17, DFT: 17, STFT: 17, MelWeightMatrix: 17, HannWindow: 17,
  HammingWindow: 17, BlackmanWindow: 17, CenterCropPad: 18, Col2Im: 18, BitwiseAnd: 18, BitwiseOr: 18, BitwiseXor: 18,
  BitwiseNot: 18, Mish: 18, GroupNormalization: 18, DeformConv: 19, AffineGrid: 20, Gelu: 20, ImageDecoder: 20,
  RegexFullMatch: 20, StringConcat: 20, StringSplit: 20, Attention: 23, RMSNormalization: 23, RotaryEmbedding: 23,
  Swish: 24, TensorScatter: 24, CumProd: 26, BitCast: 26,
};

/** Window attributes whose every value must be at least `min`: a zero stride or a negative pad has no meaning. */
export const WINDOW_LIMITS: Record<string, number> = { strides: 1, dilations: 1, kernel_shape: 1, pads: 0, output_padding: 0 };
/** Operators the window limits apply to. */
export const WINDOW_OPS = new Set(["Conv", "ConvInteger", "QLinearConv", "ConvTranspose", "MaxPool", "AveragePool"]);

/**
 * Attributes that exist only from one opset on, or only up to one (`[since, until]`, inclusive): ONNX Runtime checks
 * a node against the schema of the model's opset, and so does qkit. Attributes not listed exist in every opset qkit
 * reads (7 to 26).
 */
export const ATTRIBUTE_OPSETS: Record<string, [since: number, until?: number]> = {
  "MaxPool.ceil_mode": [10], "MaxPool.dilations": [10], "MaxPool.storage_order": [8],
  "AveragePool.ceil_mode": [10], "AveragePool.dilations": [19],
  "Resize.antialias": [18], "Resize.axes": [18], "Resize.keep_aspect_ratio_policy": [18],
  "Split.num_outputs": [18], "Split.split": [7, 12],
  "Shape.start": [15], "Shape.end": [15], "Reshape.allowzero": [14],
  "BatchNormalization.training_mode": [14], "BatchNormalization.spatial": [7, 8], "GroupNormalization.stash_type": [21],
  "QuantizeLinear.axis": [13], "DequantizeLinear.axis": [13], "QuantizeLinear.saturate": [19],
  "QuantizeLinear.block_size": [21], "DequantizeLinear.block_size": [21], "QuantizeLinear.output_dtype": [21],
  "DequantizeLinear.output_dtype": [23], "QuantizeLinear.precision": [23],
  "Cast.saturate": [19], "CastLike.saturate": [19], "Cast.round_mode": [24], "CastLike.round_mode": [24],
  "ScatterElements.reduction": [16], "ScatterND.reduction": [16], "GatherND.batch_dims": [12],
  "ArgMax.select_last_index": [12], "ArgMin.select_last_index": [12],
  "DepthToSpace.mode": [11], "TopK.largest": [11], "TopK.sorted": [11], "TopK.k": [7, 9],
  "Clip.min": [7, 10], "Clip.max": [7, 10], "Slice.starts": [7, 9], "Slice.ends": [7, 9], "Slice.axes": [7, 9],
  "Pad.pads": [7, 10], "Pad.value": [7, 10], "Squeeze.axes": [7, 12], "Unsqueeze.axes": [7, 12],
  "Dropout.ratio": [7, 11], "Dropout.seed": [12], "Upsample.scales": [7, 8], "ReduceSum.axes": [7, 12],
  "ReduceSum.noop_with_empty_axes": [13],
  ...Object.fromEntries(["ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare"]
    .flatMap((op) => [[`${op}.axes`, [7, 17]], [`${op}.noop_with_empty_axes`, [18]]])),
  "Gelu.approximate": [20], "Attention.left_window_size": [25], "Attention.right_window_size": [25],
};
