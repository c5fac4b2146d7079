import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as ts from "typescript";

/** Every name a module's typings export (values and types), as a quantizer file importing it sees them. */
function exportedNames(dts: string): string[] {
  const program = ts.createProgram([dts], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: [] });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(dts)!)!;
  return checker.getExportsOfModule(symbol).map((s) => s.name).sort();
}

const DIST = path.resolve(__dirname, "..", "src");

// The author API: what `import ... from "qkit"` offers quantizers, data modules and scripts. A name added here is a
// promise to every quantizer author; internals belong in "qkit/tooling".
const AUTHOR_API = [
  "AnySpec", "CalibrateOptions", "CalibrationAbortedError", "CalibrationDataError", "CalibrationProgress", "CalibrationSample",
  "CallOptions", "CheckOptions", "CheckResult", "ComposableQuantizer", "ConfigOrSkip", "ConfigurableQuantizer", "ConvertError",
  "Coverage", "CoverageRow", "DataError", "DataOptions", "DataType", "DerivedQParams", "DerivedQuantizationSpec",
  "DerivedQuantizationSpecFields", "Dim", "Edge", "EdgeOrNode", "EngineError", "EntropyObserver", "Finding", "FindingCode",
  "FixedQParamsObserver", "FixedQParamsQuantizationSpec", "FixedQParamsQuantizationSpecFields", "FloatOpOptions", "Graph", "GraphModule",
  "HistogramObserver", "InferenceSession", "InputMismatchError", "InputSpec", "InsertionPoint", "LoadOptions",
  "LoadedQuantizer", "MinMaxObserver", "Model", "ModelLoadError", "ModelSaveError", "ModuleFrame",
  "MovingAverageMinMaxObserver", "MovingAveragePerChannelMinMaxObserver", "Node", "NodeArg", "NodeKind", "NodeMeta",
  "NodeShapeError", "ObservedTensor", "Observer", "ObserverBase", "ObserverConstructor", "ObserverError", "ObserverJSON",
  "ObserverOptions", "ObserversFor", "OpsetImport", "OrtQdqOptions", "OrtQdqQuantizer", "PerChannelMinMaxObserver",
  "PercentileObserver", "PlaceholderObserver", "PrepareError", "PreparedModel", "PrintOptions", "Profile", "ProfileEvent",
  "ProfileRow", "ProfileSummary", "QParams", "QScheme", "RelatedLocation", "SourceLocation",
  "QkitError", "QuantDType", "QuantizationAnnotation", "QuantizationAnnotationFields", "QuantizationConfig",
  "QuantizationSpec", "QuantizationSpecBase", "QuantizationSpecFields", "Quantizer", "QuantizerLoadError", "RunOptions", "Sample",
  "SaveOptions", "SessionInfo", "SessionOptions", "Severity", "SharedQuantizationSpec", "SourcePartition",
  "SymmetricConfigOptions", "Tensor", "TensorData", "TensorType", "UniformObserver", "UnsupportedOperatorError",
  "UnsupportedTypeError", "X86Quantizer", "XnnpackQuantizer", "annotationOf", "calibrate", "check", "chromeTrace", "convert",
  "createSession", "derivedBiasSpec", "exportOnnx", "getDefaultX86QuantizationConfig", "getSourcePartitions",
  "getSymmetricQuantizationConfig", "isEdge", "loadModel", "loadQuantizer", "modelInputs", "observerFromJSON", "openData",
  "prepare", "printGraph", "runCheck", "saveModel", "summarizeProfile",
];

test("qkit's author API is exactly the listed names", () => {
  assert.deepEqual(exportedNames(path.join(DIST, "index.d.ts")), [...AUTHOR_API].sort());
});

test("the author API's values are what the package entry exports at run time", () => {
  const runtime = Object.keys(require("../src/index.js") as object).sort();
  assert.ok(runtime.length > 40);
  for (const name of runtime) assert.ok(AUTHOR_API.includes(name), `${name} is exported at run time but not listed`);
});

test("internals are only in qkit/tooling, which also holds the author API", () => {
  const tooling = exportedNames(path.join(DIST, "tooling.d.ts"));
  for (const name of AUTHOR_API) assert.ok(tooling.includes(name), `qkit/tooling re-exports ${name}`);
  for (const internal of ["collectSlots", "slotProblem", "captureSite", "userFrames", "observedActivations", "dtypeLimits", "UserModuleLoader", "transpileQuantizer", "readModelFile"]) {
    assert.ok(tooling.includes(internal), `qkit/tooling exports ${internal}`);
    assert.ok(!AUTHOR_API.includes(internal), `${internal} is not in the author API`);
  }
});

test("getSourcePartitions is keyed by the requested op types: strict TypeScript needs no `!`, and an unrequested key is an error", () => {
  const file = path.join(DIST, "__partitions_check__.ts");
  const source = [
    `import { getSourcePartitions, type Graph } from "./index.js";`,
    `export function f(graph: Graph) {`,
    `  const partitions = getSourcePartitions(graph, ["Conv", "Add"]);`,
    `  const conv: number = partitions.Conv.length + partitions.Add[0]!.nodes.length;`,
    `  return [conv, partitions.Relu];`,
    `}`,
  ].join("\n");
  const options: ts.CompilerOptions = { strict: true, noUncheckedIndexedAccess: true, noEmit: true, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile;
  host.readFile = (name) => (name === file ? source : readFile(name));
  const fileExists = host.fileExists;
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
  assert.deepEqual(errors.map((d) => [d.code, d.file!.getLineAndCharacterOfPosition(d.start!).line + 1]), [[2339, 5]], errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; "));
});
