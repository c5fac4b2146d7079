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
import { annotate, isActivation, weightChannelAxis } from "./annotate.js";
import { derivedBiasSpec } from "./config.js";

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
  /** Op types to quantize; default ONNX Runtime's QDQ operator list. */
  opTypesToQuantize?: string[];
}

/** ONNX Runtime's QDQ registry (the ops quantize_static quantizes by default). */
export const ORT_QDQ_OP_TYPES = [
  "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid",
  "HardSwish", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool", "Concat", "Reshape", "Flatten", "Transpose",
  "Squeeze", "Unsqueeze", "Resize", "Softmax", "Gather", "Split", "Pad",
];

/** Ops whose output keeps the input's qparams in ONNX Runtime's QDQ format (its direct 8-bit ops). */
const DIRECT_OPS = new Set(["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Resize", "Gather", "Split", "Pad"]);
const WEIGHTED = new Set(["Conv", "ConvTranspose", "Gemm", "MatMul"]);

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

  #weight(node: Node): QuantizationSpec {
    const { weightType: dtype, weightSymmetric: symmetric, perChannel, reduceRange } = this.options;
    const signed = dtype === "int8";
    // Symmetric signed weights use the restricted range [-127, 127] (or 7 bits with reduce range), as ORT does.
    const [quantMin, quantMax] = signed ? (reduceRange ? [-64, 63] : symmetric ? [-127, 127] : [-128, 127]) : reduceRange ? [0, 127] : [0, 255];
    const qscheme = perChannel ? (symmetric ? "per_channel_symmetric" : "per_channel_affine") : symmetric ? "per_tensor_symmetric" : "per_tensor_affine";
    return new QuantizationSpec({
      dtype, quantMin, quantMax, qscheme,
      ...(perChannel ? { chAxis: weightChannelAxis(node) } : {}),
      observer: perChannel ? PerChannelMinMaxObserver : MinMaxObserver,
    });
  }

  annotate(model: GraphModule): GraphModule {
    const ops = new Set(this.options.opTypesToQuantize);
    const activation = this.#activation();
    const firstEdge = new Map<Node, Node>();
    for (const node of model.graph.calls()) {
      if (!ops.has(node.opType) || node.domain !== "") continue;
      const inputs: [Node, QuantizationSpecBase][] = [];
      const seen = new Set<Node>();
      for (const [i, arg] of node.args.entries()) {
        if (!arg || seen.has(arg)) continue;
        seen.add(arg);
        if (arg.kind === "parameter") {
          if (WEIGHTED.has(node.opType) && i === 1) inputs.push([arg, this.#weight(node)]);
          continue;
        }
        // Integer and bool values (indices, shapes) are never quantized.
        if (!arg.isFloatValue) continue;
        // One Q/DQ per tensor: a quantized producer's output, or the first quantized consumer's edge.
        if (node.opType === "Gather" && i === 1) continue;
        if (arg.meta.quantizationAnnotation && (arg.meta.quantizationAnnotation as { outputQspec?: unknown }).outputQspec) inputs.push([arg, new SharedQuantizationSpec(arg)]);
        else if (firstEdge.has(arg)) inputs.push([arg, new SharedQuantizationSpec([arg, firstEdge.get(arg)!])]);
        else {
          firstEdge.set(arg, node);
          inputs.push([arg, activation]);
        }
      }
      const input = node.args[0];
      const weight = inputs.find(([n]) => n === node.args[1] && n.kind === "parameter");
      const bias = node.args[2];
      if (WEIGHTED.has(node.opType) && isActivation(input) && weight && bias?.kind === "parameter") {
        inputs.push([bias, derivedBiasSpec(input, weight[0], node, weight[1] as QuantizationSpec)]);
      }
      if (inputs.length === 0) continue;
      const direct = DIRECT_OPS.has(node.opType) && isActivation(input) && !node.isMultiOutput;
      const output = node.isMultiOutput || !node.isFloatValue ? undefined : direct ? new SharedQuantizationSpec([input, node]) : activation;
      annotate(node, inputs, output);
      (node.meta.quantizationAnnotation as { rule?: string }).rule = `OrtQdqQuantizer: ${node.opType} in opTypesToQuantize`;
    }
    return model;
  }
}
