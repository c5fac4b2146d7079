import type { QScheme, QuantDType } from "../quant-types.js";

/** The built-in quantizer a scaffold takes its specs and fusions from (`qkit init --like`). */
export type ScaffoldStyle = "xnnpack" | "x86" | "ort-qdq";

export const SCAFFOLD_STYLES: readonly ScaffoldStyle[] = ["xnnpack", "x86", "ort-qdq"];

/** The fields of one generated `new QuantizationSpec({...})`, and its observer (with eps 2^-12 or its defaults). */
export interface SpecSketch {
  dtype: QuantDType;
  quantMin: number;
  quantMax: number;
  qscheme: QScheme;
  observer: "HistogramObserver" | "MinMaxObserver" | "PerChannelMinMaxObserver";
  /** `.withArgs({ eps: 2 ** -12 })`, as PT2E's default configs do. */
  smallEps: boolean;
}

export interface StyleSketch {
  /** The built-in quantizer the generated file is modelled on. */
  builtin: string;
  /** One sentence for the generated file's header. */
  summary: string;
  activation: SpecSketch;
  weight: SpecSketch;
  /** A Relu that is its producer's only user is fused: the output is quantized after it, not between. */
  fuseRelu: boolean;
}

export const STYLES: Record<ScaffoldStyle, StyleSketch> = {
  xnnpack: {
    builtin: "XnnpackQuantizer",
    summary: "int8 activations observed with a histogram, int8 symmetric weights per output channel",
    activation: { dtype: "int8", quantMin: -128, quantMax: 127, qscheme: "per_tensor_affine", observer: "HistogramObserver", smallEps: true },
    weight: { dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_channel_symmetric", observer: "PerChannelMinMaxObserver", smallEps: true },
    fuseRelu: true,
  },
  x86: {
    builtin: "X86Quantizer",
    summary: "uint8 activations observed with a histogram, int8 symmetric weights per output channel",
    activation: { dtype: "uint8", quantMin: 0, quantMax: 255, qscheme: "per_tensor_affine", observer: "HistogramObserver", smallEps: true },
    weight: { dtype: "int8", quantMin: -128, quantMax: 127, qscheme: "per_channel_symmetric", observer: "PerChannelMinMaxObserver", smallEps: true },
    fuseRelu: true,
  },
  "ort-qdq": {
    builtin: "OrtQdqQuantizer",
    summary: "one Q/DQ pair per tensor as ONNX Runtime's quantize_static writes them: int8 activations and int8 symmetric weights per tensor, calibrated with MinMax",
    activation: { dtype: "int8", quantMin: -128, quantMax: 127, qscheme: "per_tensor_affine", observer: "MinMaxObserver", smallEps: false },
    weight: { dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", observer: "MinMaxObserver", smallEps: false },
    fuseRelu: false,
  },
};

export function isScaffoldStyle(name: string): name is ScaffoldStyle {
  return (SCAFFOLD_STYLES as readonly string[]).includes(name);
}
