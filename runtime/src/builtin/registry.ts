import type { Quantizer } from "../quantizer/quantizer.js";
import { XnnpackQuantizer } from "./xnnpack-quantizer.js";
import { X86Quantizer } from "./x86-quantizer.js";
import { OrtQdqQuantizer } from "./ort-qdq-quantizer.js";

/** The quantizers qkit ships, by the name the CLI and qkit.json accept in place of a file. */
export const BUILTIN_QUANTIZERS: Readonly<Record<string, { make: () => Quantizer; description: string }>> = {
  xnnpack: { make: () => new XnnpackQuantizer(), description: "PT2E's XNNPACKQuantizer: int8 activations, per-channel symmetric int8 weights" },
  x86: { make: () => new X86Quantizer(), description: "PT2E's X86InductorQuantizer: uint8 activations, per-channel int8 weights, conv-add-relu fusion" },
  "ort-qdq": { make: () => new OrtQdqQuantizer(), description: "ONNX Runtime's quantize_static defaults (QDQ, int8, MinMax)" },
};
