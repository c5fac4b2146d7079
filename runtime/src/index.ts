/**
 * The qkit author API: what a quantizer, a data module or a script imports from "qkit" — model I/O, the graph types,
 * specs, annotations and observers, the built-in quantizers, check → prepare → calibrate → convert → export, and
 * inference sessions. Growing it is a decision (a test lists every name). What the CLI and the language server need
 * beyond it lives in "qkit/tooling".
 */
import { provideAuthorApi } from "./user-code/author-api.js";

export { QkitError, ModelLoadError, ModelSaveError } from "./errors.js";

// Model I/O
export { Model, type GraphModule, type OpsetImport } from "./model.js";
export { loadModel, type LoadOptions } from "./model-io/load-model.js";
export { saveModel, type SaveOptions } from "./model-io/save-model.js";

// The graph
export { Graph, type CallOptions, type InsertionPoint } from "./graph/graph.js";
export { Node, type NodeKind, type NodeMeta, type NodeArg, type Dim, type ModuleFrame } from "./graph/node.js";
export { printGraph, type PrintOptions } from "./graph/print.js";
export { getSourcePartitions, type SourcePartition } from "./graph/source-partitions.js";
export type { DataType } from "./onnx/data-type.js";

// Specs and annotations
export type { QuantDType, QScheme, QParams } from "./quant-types.js";
export {
  QuantizationSpecBase, QuantizationSpec, FixedQParamsQuantizationSpec, SharedQuantizationSpec, DerivedQuantizationSpec,
  type AnySpec, type QuantizationSpecFields, type FixedQParamsQuantizationSpecFields,
  type DerivedQuantizationSpecFields, type DerivedQParams, type ObserversFor,
} from "./quantizer/specs.js";
export { QuantizationAnnotation, annotationOf, type QuantizationAnnotationFields } from "./quantizer/annotation.js";
export { Quantizer, ComposableQuantizer } from "./quantizer/quantizer.js";
export { isEdge, type Edge, type EdgeOrNode } from "./quantizer/edge-or-node.js";

// Observers
export type { Observer, ObserverConstructor, ObserverOptions, ObservedTensor, ObserverJSON } from "./observers/observer.js";
export { ObserverBase } from "./observers/base.js";
export { ObserverError } from "./observers/observer-error.js";
export { UniformObserver } from "./observers/uniform.js";
export { MinMaxObserver } from "./observers/min-max.js";
export { MovingAverageMinMaxObserver } from "./observers/moving-average-min-max.js";
export { PerChannelMinMaxObserver } from "./observers/per-channel-min-max.js";
export { MovingAveragePerChannelMinMaxObserver } from "./observers/moving-average-per-channel-min-max.js";
export { HistogramObserver } from "./observers/histogram.js";
export { PlaceholderObserver } from "./observers/placeholder.js";
export { FixedQParamsObserver } from "./observers/fixed-qparams.js";
export { PercentileObserver } from "./observers/percentile.js";
export { EntropyObserver } from "./observers/entropy.js";
export { observerFromJSON } from "./observers/from-json.js";

// Built-in quantizers
export { getSymmetricQuantizationConfig, derivedBiasSpec, type QuantizationConfig, type SymmetricConfigOptions, type FloatOpOptions } from "./builtin/config.js";
export { ConfigurableQuantizer, type ConfigOrSkip } from "./builtin/configurable-quantizer.js";
export { XnnpackQuantizer } from "./builtin/xnnpack-quantizer.js";
export { X86Quantizer, getDefaultX86QuantizationConfig } from "./builtin/x86-quantizer.js";
export { OrtQdqQuantizer, type OrtQdqOptions } from "./builtin/ort-qdq-quantizer.js";

// Check, prepare, calibrate, convert, export
export { loadQuantizer, QuantizerLoadError, type LoadedQuantizer } from "./user-code/load-quantizer.js";
export { check, runCheck, type CheckResult, type CheckOptions } from "./checker/check.js";
export type { Finding, FindingCode, Severity, RelatedLocation } from "./checker/finding.js";
export type { SourceLocation } from "./source-location.js";
export type { Coverage, CoverageRow } from "./checker/coverage.js";
export { prepare, PrepareError, type PreparedModel } from "./quantize/prepare.js";
export { calibrate, CalibrationDataError, CalibrationAbortedError, type CalibrationSample, type CalibrateOptions, type CalibrationProgress } from "./quantize/calibrate.js";
export { convert, ConvertError } from "./quantize/convert.js";
export { exportOnnx } from "./quantize/export.js";
export { openData, modelInputs, type DataOptions, type InputSpec, type Sample } from "./data/source.js";
export { DataError } from "./data/data-error.js";

// Inference
export { Tensor, type TensorType, type TensorData } from "./engine/tensor.js";
export { createSession, type SessionOptions } from "./session/create-session.js";
export { InferenceSession, type SessionInfo, type RunOptions } from "./engine/session.js";
export { chromeTrace, summarizeProfile, type Profile, type ProfileEvent, type ProfileRow, type ProfileSummary } from "./engine/profile.js";
export { EngineError, UnsupportedOperatorError, InputMismatchError, NodeShapeError, UnsupportedTypeError } from "./engine/errors.js";

// User modules loaded by this runtime import this very module as "qkit", so their specs are the checker's classes.
provideAuthorApi(module.exports);
