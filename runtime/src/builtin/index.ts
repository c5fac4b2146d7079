/** Quantizers qkit ships: readable examples of the annotation API and ready-made recipes. */
export { getSymmetricQuantizationConfig, derivedBiasSpec, type QuantizationConfig, type SymmetricConfigOptions, type FloatOpOptions } from "./config.js";
export { ConfigurableQuantizer, type ConfigOrSkip } from "./configurable-quantizer.js";
export { XnnpackQuantizer } from "./xnnpack-quantizer.js";
export { X86Quantizer, getDefaultX86QuantizationConfig } from "./x86-quantizer.js";
export { OrtQdqQuantizer, ORT_QDQ_OP_TYPES, type OrtQdqOptions } from "./ort-qdq-quantizer.js";
export { BUILTIN_QUANTIZERS } from "./registry.js";
export { moduleTypeOf } from "./module-type.js";
