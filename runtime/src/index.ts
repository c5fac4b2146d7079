/** The qkit library: ONNX model I/O and the FX-style graph IR. */
export { QkitError, ModelLoadError, ModelSaveError, GraphLintError } from "./errors.js";
export { Model, type GraphModule, type OpsetImport } from "./model.js";
export { loadModel, SUPPORTED_IR, SUPPORTED_OPSET, type LoadOptions } from "./onnx/load.js";
export { saveModel, serializeModel, modelToOnnx, EXTERNAL_DATA_AUTO_BYTES, type SaveOptions } from "./onnx/save.js";
export { onnx } from "./onnx/proto.js";
export { DATA_TYPES, type DataType, dataTypeFromCode, dataTypeCode, integerRange, isFloatType } from "./onnx/data-type.js";
export { tensorValues, tensorToFloat32, tensorToNumbers, tensorDims, tensorDataType, makeTensor, type TensorValues } from "./onnx/tensor-data.js";
export * as attributes from "./onnx/attributes.js";
export { Graph, type CallOptions, type InsertionPoint } from "./graph/graph.js";
export { Node, type NodeKind, type NodeMeta, type NodeArg, type Dim, type ModuleFrame } from "./graph/node.js";
export { printGraph, type PrintOptions } from "./graph/print.js";
export { inferShapes } from "./graph/shape-inference/infer.js";
export { normalizeGraph, type NormalizationReport } from "./graph/normalize.js";
export { getSourcePartitions, type SourcePartition } from "./graph/source-partitions.js";
export { moduleStackFromName } from "./graph/module-stack.js";
export { summarizeModel, type ModelSummary } from "./inspect.js";
