import type { Node } from "../graph/node.js";
import { DerivedQuantizationSpec, QuantizationSpec, type QuantizationSpecBase } from "../quantizer/specs.js";
import { HistogramObserver } from "../observers/histogram.js";
import { MinMaxObserver } from "../observers/min-max.js";
import { PerChannelMinMaxObserver } from "../observers/per-channel-min-max.js";
import { PlaceholderObserver } from "../observers/placeholder.js";
import { isPerChannel } from "../quant-types.js";

/** PT2E's QuantizationConfig: how a pattern's activations, weight and bias are quantized. */
export interface QuantizationConfig {
  inputActivation: QuantizationSpec | undefined;
  outputActivation: QuantizationSpec | undefined;
  weight: QuantizationSpec | undefined;
  /**
   * "derived": an int32 bias with scale s_input · s_weight (what integer kernels need); undefined leaves it float.
   */
  bias: "derived" | undefined;
}

/**
 * Ops PT2E's backends leave float in a transformer, because their integer forms cost accuracy for little speed; each
 * option quantizes one of them at its input and output.
 */
export interface FloatOpOptions {
  quantizeLayerNorm?: boolean;
  quantizeSoftmax?: boolean;
  /** GELU, as the Gelu op or the Erf chain exporters write for it. */
  quantizeGelu?: boolean;
}

/** Whether a config quantizes activations per batch at run time (then only weighted ops are quantized, as in PT2E). */
export function isDynamicConfig(config: QuantizationConfig): boolean {
  return config.inputActivation?.isDynamic === true;
}

export interface SymmetricConfigOptions {
  isPerChannel?: boolean;
  isDynamic?: boolean;
}

/**
 * XNNPACK's default: int8 activations [-128, 127] per tensor affine with a HistogramObserver (eps 2^-12), int8
 * weights [-127, 127] symmetric per tensor or per channel (axis 0). Dynamic activations are observed per batch at run
 * time (PlaceholderObserver), as in PT2E.
 */
export function getSymmetricQuantizationConfig(options: SymmetricConfigOptions = {}): QuantizationConfig {
  const activation = new QuantizationSpec({
    dtype: "int8",
    quantMin: -128,
    quantMax: 127,
    qscheme: "per_tensor_affine",
    isDynamic: options.isDynamic ?? false,
    observer: options.isDynamic ? PlaceholderObserver : HistogramObserver.withArgs({ eps: 2 ** -12 }),
  });
  const weight = new QuantizationSpec({
    dtype: "int8",
    quantMin: -127,
    quantMax: 127,
    qscheme: options.isPerChannel ? "per_channel_symmetric" : "per_tensor_symmetric",
    ...(options.isPerChannel ? { chAxis: 0 } : {}),
    observer: options.isPerChannel ? PerChannelMinMaxObserver.withArgs({ eps: 2 ** -12 }) : MinMaxObserver.withArgs({ eps: 2 ** -12 }),
  });
  // A dynamic input's scale is known only at run time, so no int32 bias can be made ahead of it: the bias stays float.
  return { inputActivation: activation, outputActivation: options.isDynamic ? undefined : activation, weight, bias: options.isDynamic ? undefined : "derived" };
}

/** An int32 bias whose scale per output channel is s_input · s_weight[c], zero point 0. */
export function derivedBiasSpec(input: Node, weight: Node, node: Node, weightSpec: QuantizationSpecBase): DerivedQuantizationSpec {
  // A weight that is an activation (a Gemm of two inputs) may share its producer's observer: per tensor.
  const perChannel = weightSpec instanceof QuantizationSpec && !!weightSpec.qscheme && isPerChannel(weightSpec.qscheme);
  const groupedTranspose = node.opType === "ConvTranspose" ? node.intAttribute("group", 1) : 1;
  return new DerivedQuantizationSpec({
    derivedFrom: [[input, node], [weight, node]],
    deriveQparams: ([act, w]) => {
      const a = act.calculateQparams().scale[0]!;
      const perGroup = w.calculateQparams().scale;
      // A grouped ConvTranspose's weight axis 1 holds one group's output channels; its bias holds every group's.
      const ws = perChannel && groupedTranspose > 1 ? Float32Array.from({ length: perGroup.length * groupedTranspose }, (_, m) => perGroup[m % perGroup.length]!) : perGroup;
      return { scale: Float32Array.from(ws, (s) => Math.fround(a * s)), zeroPoint: new Int32Array(ws.length) };
    },
    dtype: "int32",
    quantMin: -(2 ** 31),
    quantMax: 2 ** 31 - 1,
    qscheme: perChannel ? "per_channel_symmetric" : "per_tensor_symmetric",
    ...(perChannel ? { chAxis: 0 } : {}),
  });
}

/** The same spec with the weight's channel axis moved (ConvTranspose's output channels are axis 1). */
export function withChannelAxis(spec: QuantizationSpec, chAxis: number): QuantizationSpec {
  if (!spec.qscheme || !isPerChannel(spec.qscheme) || spec.chAxis === chAxis) return spec;
  return new QuantizationSpec({ ...spec, chAxis });
}
