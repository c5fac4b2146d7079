/** The fp32 engine: run ONNX models on AssemblyScript WebAssembly SIMD kernels, with ONNX Runtime's API shape. */
export { Tensor, type TensorType, type TensorData } from "./tensor.js";
export { InferenceSession, type SessionInfo, type RunOptions } from "./session.js";
export { chromeTrace, summarizeProfile, type Profile, type ProfileEvent, type ProfileRow, type ProfileSummary } from "./profile.js";
export { EngineError, UnsupportedOperatorError, InputMismatchError, NodeShapeError, UnsupportedTypeError } from "./errors.js";
export { supportedOps } from "./ops/registry.js";
