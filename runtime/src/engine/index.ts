/** The fp32 engine: run ONNX models on AssemblyScript WebAssembly SIMD kernels, with ONNX Runtime's API shape. */
export { Tensor, type TensorType, type TensorData } from "./tensor.js";
export { InferenceSession, type SessionInfo } from "./session.js";
export { EngineError, UnsupportedOperatorError, InputMismatchError, NodeShapeError, UnsupportedTypeError } from "./errors.js";
export { supportedOps } from "./ops/registry.js";
