/**
 * "qkit/tooling": what the CLI and the language server need beyond the author API — the file format and loader
 * plumbing, user-module loading and compiling, stack frames and sites, checker and sharing internals, observers'
 * internals, lowering, reports, calibration states, the numeric debugger, qkit.json. Nothing here is promised to
 * quantizer authors; the author API ("qkit") is re-exported so tools import from one place.
 */
export * from "./index.js";

export { authorApi } from "./user-code/author-api.js";

export { GraphLintError, printable, type QkitErrorOptions } from "./errors.js";
export { pointLocation, isPointLocation, relativeLocation, absoluteLocation, formatLocation } from "./source-location.js";
export { SUPPORTED_IR, SUPPORTED_OPSET, readModelFile, type ReadOptions, type ModelFile } from "./onnx/load.js";
export { EXTERNAL_DATA_AUTO_BYTES, writeModelFile, type WriteOptions } from "./onnx/save.js";
export { serializeModel, modelToOnnx } from "./model-io/save-model.js";
export { onnx } from "./onnx/proto.js";
export { DATA_TYPES, dataTypeFromCode, dataTypeCode, integerRange, isFloatType } from "./onnx/data-type.js";
export { tensorValues, tensorToFloat32, tensorToNumbers, tensorDims, tensorDataType, makeTensor, type TensorValues } from "./onnx/tensor-data.js";
export * as attributes from "./onnx/attributes.js";
export { inferShapes } from "./graph/shape-inference/infer.js";
export { normalizeGraph, type NormalizationReport } from "./graph/normalize.js";
export { moduleStackFromName } from "./graph/module-stack.js";
export { summarizeModel, type ModelSummary } from "./inspect.js";
export { cloneModel } from "./model-clone.js";
export { QUANT_DTYPES, QSCHEMES, isPerChannel, isSymmetric } from "./quant-types.js";

export { type ObserverClass } from "./observers/base.js";
export { type ObserverErrorCode } from "./observers/observer-error.js";
export { OBSERVER_CLASSES } from "./observers/registry.js";
export { quantizeValues, quantizeValuesTorch, type QuantizeOptions } from "./observers/quantize.js";
export { qparamsFromMinMax, type QparamsConfig } from "./observers/qparams.js";
export { resolveQuantRange, dtypeLimits, type QuantRange } from "./observers/qrange.js";
export { FLOAT32_EPS } from "./observers/float32.js";

export { isSpec, type RangedSpec } from "./quantizer/specs.js";
export { type CompositionConflict } from "./quantizer/quantizer.js";
export { slotKey, describeSlot } from "./quantizer/edge-or-node.js";
export { resolveSharing, collectSlots, slotProblem, differingFields, IMPLICIT_SHARING_FIELDS, type Slot, type SharingResolution } from "./quantizer/sharing.js";
export { captureSite, userFrames } from "./quantizer/source-site.js";
export { quantizerFromExports, classSite, type FromExportsOptions } from "./user-code/load-quantizer.js";
export { UserModuleLoader, type UserModuleLoaderOptions } from "./user-code/user-module-loader.js";
export { transpileQuantizer, TS_EXTENSIONS } from "./user-code/transpile.js";
export { typeCheckQuantizer, quantizerCompilerOptions, resolveQkit, usesNodeApis, qkitTypings, QUANTIZER_GLOBALS, type TypeProblem } from "./user-code/type-check.js";

export { FINDING_CODES, loadErrorFinding } from "./checker/finding.js";
export { computeCoverage, INT8_OP_TYPES } from "./checker/coverage.js";
export { deriveArity } from "./checker/derive-arity.js";
export { literalSpecProblems, type LiteralSpec, type LiteralProblem } from "./checker/literal-spec.js";
export { closestNames, closestOption, editDistance } from "./quantizer/options.js";
export { closestFiles, didYouMean } from "./user-code/closest-files.js";

export { observedActivations, type ObserverGroup, type DerivedSlot } from "./quantize/prepare.js";
export { calibrationState, saveCalibrationState, readCalibrationState, mergeCalibrationStates, loadCalibrationState, CalibrationStateError, type CalibrationState } from "./quantize/calibration-state.js";
export {
  calibrationReport, saveCalibrationReport, readCalibrationReport, calibrationReportFromJSON, CalibrationReportError,
  type CalibrationReport, type GroupReport, type NodeSqnrReport, type QuantRangeReport, type CalibrationReportOptions,
  type ReadCalibrationReportOptions,
} from "./quantize/calibration-report.js";

export { supportedOps } from "./engine/ops/registry.js";
export { lower, lowerWithReport, isQdqModel, type LoweringReport, type LoweredNode } from "./lower/lower.js";
export { QKIT_DOMAIN, QKIT_OPS, type QkitOp } from "./qkit-ops/schema.js";

export { parseNpy, encodeNpy } from "./data/npy.js";
export { parseNpz } from "./data/npz.js";
export { parseTensorProto } from "./data/tensor-proto.js";
export { parseIdx, type IdxArray } from "./data/idx.js";
export { imageToCHW, IMAGE_EXTENSIONS, type Normalization } from "./data/images.js";
export { evaluateAccuracy, type AccuracyResult } from "./eval/accuracy.js";
export { readLabels } from "./eval/labels.js";

export { ORT_QDQ_OP_TYPES } from "./builtin/ort-qdq-quantizer.js";
export { BUILTIN_QUANTIZERS } from "./builtin/registry.js";
export { moduleTypeOf } from "./builtin/module-type.js";

export { compareNodes, type NodeAccuracy } from "./debug/numeric-debugger.js";
export * from "./pipeline/index.js";
export { CONFIG_FILE_NAME, ConfigError, parseQkitConfig, validateQkitConfig, readQkitConfig, resolveTargets, isBuiltinQuantizerName, type QkitConfig, type TargetConfig, type CalibrationConfig, type ResolvedTarget, type ConfigProblem } from "./config/qkit-config.js";

export { startSandbox, supervise, Sandbox, type SandboxLimits, type Supervised, type SuperviseOptions } from "./sandbox/supervisor.js";
export { sandboxChannel, type SandboxChannel } from "./sandbox/channel.js";
export { guardPrototypes, trapProcessExit } from "./sandbox/harden.js";
export { takeFootprint, type Footprint, type FootprintOptions } from "./sandbox/footprint.js";

export { scaffoldQuantizer, defaultQuantizerPath, type ScaffoldOptions, type ScaffoldResult } from "./scaffold/scaffold.js";
export { SCAFFOLD_STYLES, isScaffoldStyle, type ScaffoldStyle } from "./scaffold/styles.js";
export { loadTsMorph } from "./scaffold/load-ts-morph.js";
