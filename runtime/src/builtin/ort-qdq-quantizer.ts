import type { Node } from "../graph/node.js";
import type { GraphModule } from "../model.js";
import { QkitError } from "../errors.js";
import { Quantizer } from "../quantizer/quantizer.js";
import { QuantizationSpec, SharedQuantizationSpec, type QuantizationSpecBase } from "../quantizer/specs.js";
import { MinMaxObserver } from "../observers/min-max.js";
import { PerChannelMinMaxObserver } from "../observers/per-channel-min-max.js";
import { EntropyObserver } from "../observers/entropy.js";
import { PercentileObserver } from "../observers/percentile.js";
import type { ObserverConstructor } from "../observers/observer.js";
import { annotate, isActivation, probabilitySpec, weightChannelAxis } from "./annotate.js";
import { derivedBiasSpec } from "./config.js";
import { geluChains, linearBias } from "./transformer-patterns.js";
import { scoreOp, softmaxInput } from "./shared-patterns.js";

export interface OrtQdqOptions {
  /** Activation type; quantize_static's default is int8 (use uint8 for ONNX Runtime's fastest CPU path). */
  activationType?: "int8" | "uint8";
  weightType?: "int8" | "uint8";
  perChannel?: boolean;
  /** 7-bit weights, for CPUs without VNNI. */
  reduceRange?: boolean;
  activationSymmetric?: boolean;
  weightSymmetric?: boolean;
  calibrateMethod?: "minmax" | "entropy" | "percentile";
  /**
   * Op types to quantize; default ONNX Runtime's QDQ operator list without Softmax. "Softmax", "LayerNormalization"
   * and "Gelu" (the op, or the Erf chain exporters write for it) quantize those too; LSTM and GRU are weight-only.
   */
  opTypesToQuantize?: string[];
}

/**
 * ONNX Runtime's QDQ registry (the ops quantize_static quantizes by default), with LSTM and GRU weight-only as its
 * dynamic quantization does, and without Softmax, which costs a transformer accuracy for little speed.
 */
export const ORT_QDQ_OP_TYPES = [
  "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
  "HardSwish", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool", "Concat", "Reshape", "Flatten", "Transpose",
  "Squeeze", "Unsqueeze", "Resize", "Gather", "Split", "Pad", "LSTM", "GRU",
];

/** Ops whose output keeps the input's qparams in ONNX Runtime's QDQ format (its direct 8-bit ops). */
const DIRECT_OPS = new Set(["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Resize", "Gather", "Split", "Pad"]);
const WEIGHTED = new Set(["Conv", "ConvTranspose", "Gemm", "MatMul"]);
/**
 * Ops whose inputs after the first configure them (Resize's roi and scales, Clip's bounds, Pad's constant value): ORT
 * quantizes their first input alone. Quantizing scales computed from shapes would round them.
 */
const FIRST_INPUT_ONLY = new Set([...DIRECT_OPS, "Clip", "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "AveragePool", "GlobalAveragePool"]);
/** Ops whose constant inputs are quantized and activations left float: input index → weight channel axis. */
const WEIGHT_ONLY: Record<string, readonly (readonly [number, number])[]> = { LSTM: [[1, 1], [2, 1]], GRU: [[1, 1], [2, 1]] };

const CALIBRATORS: Record<NonNullable<OrtQdqOptions["calibrateMethod"]>, ObserverConstructor> = {
  minmax: MinMaxObserver,
  entropy: EntropyObserver,
  percentile: PercentileObserver,
};

/**
 * ONNX Runtime's `quantize_static` (QDQ format) as a qkit quantizer: every input and output tensor of the quantized
 * op types gets one QuantizeLinear/DequantizeLinear pair shared by all its consumers; weights are symmetric (per
 * channel with `perChannel`), biases int32 with scale s_input · s_weight, activations calibrated with MinMax, Entropy
 * or Percentile as ORT's calibrators do.
 */
export class OrtQdqQuantizer extends Quantizer {
  readonly options: Required<OrtQdqOptions>;

  constructor(options: OrtQdqOptions = {}) {
    super();
    this.options = {
      activationType: options.activationType ?? "int8",
      weightType: options.weightType ?? "int8",
      perChannel: options.perChannel ?? false,
      reduceRange: options.reduceRange ?? false,
      activationSymmetric: options.activationSymmetric ?? false,
      weightSymmetric: options.weightSymmetric ?? true,
      calibrateMethod: options.calibrateMethod ?? "minmax",
      opTypesToQuantize: options.opTypesToQuantize ?? ORT_QDQ_OP_TYPES,
    };
    if (this.options.activationType === "int8" && this.options.weightType === "uint8") {
      throw new QkitError("bad-options", "int8 activations with uint8 weights are not supported (ONNX Runtime refuses them too); use int8 weights");
    }
  }

  #activation(): QuantizationSpec {
    const { activationType: dtype, activationSymmetric: symmetric, calibrateMethod } = this.options;
    return new QuantizationSpec({ dtype, qscheme: symmetric ? "per_tensor_symmetric" : "per_tensor_affine", observer: CALIBRATORS[calibrateMethod] });
  }

  #weight(node: Node, chAxis = weightChannelAxis(node)): QuantizationSpec {
    const { weightType: dtype, weightSymmetric: symmetric, perChannel, reduceRange } = this.options;
    const signed = dtype === "int8";
    // Symmetric signed weights use the restricted range [-127, 127] (or 7 bits with reduce range), as ORT does.
    const [quantMin, quantMax] = signed ? (reduceRange ? [-64, 63] : symmetric ? [-127, 127] : [-128, 127]) : reduceRange ? [0, 127] : [0, 255];
    const qscheme = perChannel ? (symmetric ? "per_channel_symmetric" : "per_channel_affine") : symmetric ? "per_tensor_symmetric" : "per_tensor_affine";
    return new QuantizationSpec({
      dtype, quantMin, quantMax, qscheme,
      ...(perChannel ? { chAxis } : {}),
      observer: perChannel ? PerChannelMinMaxObserver : MinMaxObserver,
    });
  }

  annotate(model: GraphModule): GraphModule {
    const ops = new Set(this.options.opTypesToQuantize);
    const activation = this.#activation();
    const firstEdge = new Map<Node, Node>();
    const rule = (node: Node, why = `${node.opType} in opTypesToQuantize`) => ((node.meta.quantizationAnnotation as { rule?: string }).rule = `OrtQdqQuantizer: ${why}`);
    // GELU's Erf chain is one op: quantized at its ends with "Gelu" listed, float inside (and all float without it).
    const geluNodes = new Set<Node>();
    const geluEnds = new Map<Node, Node>();
    for (const gelu of geluChains(model.graph)) {
      for (const n of gelu.nodes) geluNodes.add(n);
      if (ops.has("Gelu")) geluEnds.set(gelu.output, gelu.input);
    }
    // The mask Add a float Softmax reads stays float with it: see scoreOp. So does whatever computes a float Softmax's
    // input: ONNX Runtime fuses DequantizeLinear → Softmax → QuantizeLinear into QLinearSoftmax, whose uint32
    // arithmetic overflows for output scales under 1/256 (a calibrated attention probability's is 1e-4 to 4e-3; every
    // transformer's ort-qdq export ran 15–37 dB from its unoptimized self in ONNX Runtime). A float input leaves
    // nothing to fuse; the MatMul still takes quantized operands (MatMulIntegerToFloat in ONNX Runtime, a
    // float-output QMatMul in qkit).
    const floatScores = new Set<Node>();
    const floatOutputs = new Set<Node>();
    if (!ops.has("Softmax")) {
      for (const softmax of model.graph.calls("Softmax")) {
        const scores = scoreOp(softmax);
        if (scores) floatScores.add(scores);
        const inputs = softmaxInput(softmax);
        if (!inputs || model.graph.outputs.includes(inputs.producer)) continue;
        for (const layout of inputs.layout) floatScores.add(layout);
        floatOutputs.add(inputs.producer);
      }
    }
    /** The bias Adds of MatMul linears: the Add takes the int32 bias and quantizes the linear's output. */
    const biasAdds = new Map<Node, { matmul: Node; bias: Node; weight: [Node, QuantizationSpec] }>();
    const quantizeInput = (node: Node, arg: Node): QuantizationSpecBase => {
      // One Q/DQ per tensor: a quantized producer's output, or the first quantized consumer's edge.
      if ((arg.meta.quantizationAnnotation as { outputQspec?: unknown } | undefined)?.outputQspec) return new SharedQuantizationSpec(arg);
      const first = firstEdge.get(arg);
      if (first) return new SharedQuantizationSpec([arg, first]);
      firstEdge.set(arg, node);
      return activation;
    };
    for (const node of model.graph.calls()) {
      if (node.domain !== "") continue;
      if (geluNodes.has(node)) {
        const input = geluEnds.get(node);
        if (input !== undefined) {
          annotate(node, isActivation(input) && node.args.includes(input) ? [[input, quantizeInput(node, input)]] : [], activation);
          rule(node, "Gelu in opTypesToQuantize");
        }
        continue;
      }
      const linear = biasAdds.get(node);
      if (linear) {
        annotate(node, [[linear.bias, derivedBiasSpec(linear.matmul.args[0]!, linear.weight[0], linear.matmul, linear.weight[1])]], activation);
        rule(node, "the bias Add of a MatMul linear in opTypesToQuantize");
        continue;
      }
      if (!ops.has(node.opType) || floatScores.has(node)) continue;
      const weightOnly = WEIGHT_ONLY[node.opType];
      if (weightOnly) {
        const weights = weightOnly.map(([i, axis]) => [node.args[i], axis] as const).filter(([w]) => w?.kind === "parameter" && w.isFloatValue);
        if (weights.length === 0) continue;
        annotate(node, weights.map(([w, axis]) => [w!, this.#weight(node, axis)]));
        rule(node, `${node.opType} weights, as quantize_dynamic quantizes them`);
        continue;
      }
      const inputs: [Node, QuantizationSpecBase][] = [];
      const seen = new Set<Node>();
      for (const [i, arg] of node.args.entries()) {
        if (!arg || seen.has(arg) || (i > 0 && FIRST_INPUT_ONLY.has(node.opType))) continue;
        seen.add(arg);
        if (arg.kind === "parameter") {
          if (WEIGHTED.has(node.opType) && i === 1) inputs.push([arg, this.#weight(node)]);
          // An embedding table read by integer ids: weight-only, per row.
          else if (node.opType === "Gather" && i === 0 && arg.isFloatValue && node.args[1] && !node.args[1].isFloatValue) inputs.push([arg, this.#weight(node, 0)]);
          continue;
        }
        // Integer and bool values (indices, shapes) are never quantized, nor float arithmetic on shapes.
        if (!isActivation(arg)) continue;
        if (node.opType === "Gather" && i === 1) continue;
        inputs.push([arg, quantizeInput(node, arg)]);
      }
      const input = node.args[0];
      const weight = inputs.find(([n]) => n === node.args[1] && n.kind === "parameter");
      // Also when the second operand is an activation: ONNX Runtime's graph optimizer would quantize a float bias
      // between quantized operands itself, with a Round node, which opsets before 11 lack (the model would not load).
      const quantizedB = inputs.find(([n]) => n === node.args[1]);
      const bias = node.args[2];
      if (WEIGHTED.has(node.opType) && isActivation(input) && quantizedB && bias?.kind === "parameter" && bias.isFloatValue) {
        inputs.push([bias, derivedBiasSpec(input, quantizedB[0], node, quantizedB[1])]);
      }
      if (inputs.length === 0) continue;
      const linearBiasAdd = node.opType === "MatMul" && isActivation(input) && weight ? linearBias(node) : undefined;
      if (linearBiasAdd && !linearBiasAdd.add.meta.quantizationAnnotation) biasAdds.set(linearBiasAdd.add, { matmul: node, bias: linearBiasAdd.bias, weight: weight as [Node, QuantizationSpec] });
      const direct = DIRECT_OPS.has(node.opType) && isActivation(input) && !node.isMultiOutput;
      const weightOnlyGather = node.opType === "Gather" && !isActivation(input);
      const output = node.isMultiOutput || !node.isFloatValue || linearBiasAdd || weightOnlyGather || floatOutputs.has(node) ? undefined
        : direct ? new SharedQuantizationSpec([input, node]) : node.opType === "Softmax" ? probabilitySpec(activation) : activation;
      annotate(node, inputs, output);
      rule(node);
    }
    return model;
  }
}
