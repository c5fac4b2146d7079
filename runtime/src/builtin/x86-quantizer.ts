import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { QuantizationSpec, SharedQuantizationSpec } from "../quantizer/specs.js";
import { HistogramObserver } from "../observers/histogram.js";
import { PerChannelMinMaxObserver } from "../observers/per-channel-min-max.js";
import { annotate, annotateConcat, annotateWeighted, isActivation, soleUser } from "./annotate.js";
import { isDynamicConfig, type FloatOpOptions, type QuantizationConfig } from "./config.js";
import { ConfigurableQuantizer } from "./configurable-quantizer.js";
import { annotationOf } from "../quantizer/annotation.js";
import { annotateActivations, annotateFloatIslands, annotateWeightOnlyOps } from "./shared-patterns.js";
import { linearBias } from "./transformer-patterns.js";

const UNARY_AFTER_CONV = ["Relu", "Clip", "HardSwish", "HardSigmoid"];
const UNARY_AFTER_LINEAR = ["Relu", "LeakyRelu", "Tanh", "Gelu"];
/** int8-in/int8-out ops that follow a quantized input (X86InductorQuantizer's propagation set). */
const PROPAGATION = ["MaxPool", "AveragePool", "GlobalAveragePool", "Flatten"];
/** Activations quantized at their input and output when no conv or linear took them. */
const ACTIVATIONS = ["Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu"];
/** Ops that keep their input's qparams when their input is quantized, so no float island appears between int8 ops. */
const SHARES_INPUT_QPARAMS = ["Relu", "Clip", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Slice", "Resize", "Gather"];

/**
 * X86InductorQuantizer's default: uint8 activations [0, 255] (with reduce range [0, 127], for CPUs without VNNI),
 * int8 per-channel symmetric weights, and an int32 bias.
 */
export function getDefaultX86QuantizationConfig(options: { reduceRange?: boolean } = {}): QuantizationConfig {
  const activation = new QuantizationSpec({
    dtype: "uint8",
    quantMin: 0,
    quantMax: options.reduceRange ? 127 : 255,
    qscheme: "per_tensor_affine",
    observer: HistogramObserver.withArgs({ eps: 2 ** -12 }),
  });
  const weight = new QuantizationSpec({
    dtype: "int8",
    quantMin: -128,
    quantMax: 127,
    qscheme: "per_channel_symmetric",
    chAxis: 0,
    observer: PerChannelMinMaxObserver.withArgs({ eps: 2 ** -12 }),
  });
  return { inputActivation: activation, outputActivation: activation, weight, bias: "derived" };
}

/**
 * X86InductorQuantizer's patterns on ONNX graphs: conv fused with a following binary add (whose other input is
 * quantized too) and unary op; conv with a unary op; linear (Gemm, or MatMul with its bias Add) with a unary op; matmul
 * and mul of activations (attention, squeeze-excite's broadcast gate); SiLU/HardSwish and table activations;
 * embeddings and LSTM/GRU weight-only; then max/avg pools, concat and flatten keep their input's qparams. LayerNorm,
 * Softmax and GELU stay float unless `floatOps` asks; a dynamic config quantizes linears and convolutions only.
 */
export class X86Quantizer extends ConfigurableQuantizer {
  constructor(config: QuantizationConfig | null = getDefaultX86QuantizationConfig(), readonly floatOps: FloatOpOptions = {}) {
    super();
    this.setGlobal(config);
  }

  protected annotatePatterns(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void {
    const dynamic = isDynamicConfig(config);
    annotateFloatIslands(graph, config, accept, this.floatOps);
    for (const conv of graph.calls("Conv", "ConvTranspose")) {
      if (!accept(conv)) continue;
      if (dynamic) {
        annotateWeighted(conv, config);
        continue;
      }
      const add = soleUser(conv, "Add");
      const other = add?.args.find((a) => a !== conv);
      if (add && accept(add) && isActivation(other) && config.inputActivation) {
        const unary = soleUser(add, ...UNARY_AFTER_CONV);
        const last = unary && accept(unary) ? unary : add;
        if (!annotateWeighted(conv, config, last)) continue;
        annotate(add, [[other, config.inputActivation]], last === add ? config.outputActivation : undefined);
        if (last !== add) annotate(last, [], config.outputActivation);
        continue;
      }
      const unary = soleUser(conv, ...UNARY_AFTER_CONV);
      const last = unary && accept(unary) ? unary : conv;
      if (annotateWeighted(conv, config, last) && last !== conv) annotate(last, [], config.outputActivation);
    }
    for (const linear of graph.calls("Gemm", "MatMul")) {
      if (!accept(linear)) continue;
      if (linear.opType === "MatMul" && linear.args[1]?.kind !== "parameter") {
        const [a, b] = linear.args;
        if (!dynamic && isActivation(a) && isActivation(b) && config.inputActivation) annotate(linear, [[a, config.inputActivation], [b, config.inputActivation]], config.outputActivation);
        continue;
      }
      const bias = linear.opType === "MatMul" ? linearBias(linear) : undefined;
      const biasAdd = bias && accept(bias.add) ? bias : undefined;
      const end = biasAdd?.add ?? linear;
      const unary = dynamic ? undefined : soleUser(end, ...UNARY_AFTER_LINEAR);
      const last = unary && accept(unary) ? unary : end;
      if (annotateWeighted(linear, config, last, biasAdd) && last !== end) annotate(last, [], config.outputActivation);
    }
    annotateWeightOnlyOps(graph, config, accept);
    if (dynamic) return;
    annotateActivations(graph, config, accept, ACTIVATIONS);
    for (const mul of graph.calls("Mul")) {
      const [a, b] = mul.args;
      if (accept(mul) && isActivation(a) && isActivation(b) && config.inputActivation) annotate(mul, [[a, config.inputActivation], [b, config.inputActivation]], config.outputActivation);
    }
    for (const node of graph.calls("Concat")) if (accept(node)) annotateConcat(node, config);
    for (const node of graph.calls(...PROPAGATION)) {
      const input = node.args[0];
      if (!accept(node) || !isActivation(input) || !config.inputActivation) continue;
      annotate(node, [[input, config.inputActivation]], new SharedQuantizationSpec([input, node]));
    }
  }

  protected propagate(graph: Graph): void {
    // Unary ops left over keep their (quantized) input's qparams, so no float island appears between int8 ops.
    for (const node of graph.calls(...SHARES_INPUT_QPARAMS)) {
      const input = node.args[0];
      if (node.meta.quantizationAnnotation || !isActivation(input) || !annotationOf(input)?.outputQspec) continue;
      annotate(node, [[input, new SharedQuantizationSpec(input)]], new SharedQuantizationSpec(input));
    }
  }
}
