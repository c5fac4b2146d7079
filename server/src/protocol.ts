/**
 * The custom part of the qkit language protocol, typed once and imported by both the server and the VS Code client
 * (`qkit-language-server/protocol`), so the two cannot drift apart. Only vscode-languageserver-protocol types here:
 * the client bundles this file too.
 */
import { NotificationType, RequestType, RequestType0 } from "vscode-languageserver-protocol";

/** Settings under the `qkit` section (workspace/didChangeConfiguration, or initializationOptions.settings). */
export interface QkitSettings {
  /** How long one run of a quantizer may take before it is stopped. */
  checkTimeoutMs: number;
  /** The V8 heap a check may use; the process's extra resident memory is capped at the same size. */
  checkMemoryLimitMb: number;
  /**
   * The heap a calibration (the quantizer and the data module, in their own worker) may use; the server's extra
   * resident memory during it is capped at the same size. Calibration has no time limit.
   */
  calibrationMemoryLimitMb: number;
  /** An edit within this time of the previous one waits until the typing stops for this long; one after a longer gap is checked at once. */
  debounceMs: number;
  /** After calibration, nodes whose SQNR (dB) is below this get a warning at the line that annotated them. */
  sqnrThresholdDb: number;
  /** Inlay hints with the calibrated scale after each spec creation. */
  inlayHints: boolean;
}

export const DEFAULT_SETTINGS: QkitSettings = { checkTimeoutMs: 2000, checkMemoryLimitMb: 512, calibrationMemoryLimitMb: 4096, debounceMs: 75, sqnrThresholdDb: 20, inlayHints: false };

/** What the client says when it starts the server. */
export interface QkitInitializationOptions {
  /**
   * Whether the workspace is trusted to run its code. When false the server never runs a quantizer (only type-checks
   * and static checks). Clients without a notion of trust may leave it out, which counts as trusted: the user started
   * the server on their own project, as they would run `qkit check`.
   */
  trusted?: boolean;
  settings?: Partial<QkitSettings>;
  /**
   * Commands the client runs itself (the VS Code extension: `qkit.runCalibration`, `qkit.showAnnotatedGraph`, with its
   * own progress and panels). A code lens names such a command when the client has it, and otherwise the server's
   * command that does the same over plain LSP (CALIBRATE_COMMAND, OPEN_GRAPH_COMMAND).
   */
  clientCommands?: string[];
}

/** The client's trust decision changed (VS Code: the user trusted the workspace after opening it). */
export interface DidChangeTrustParams {
  trusted: boolean;
}
export const DidChangeTrustNotification = new NotificationType<DidChangeTrustParams>("qkit/didChangeTrust");

export interface AnnotatedGraphParams {
  /** A quantizer file listed in qkit.json. */
  uri: string;
}

export interface AnnotatedGraphResult {
  /** The model's graph in qkit's text form, each annotated node followed by `## ...` lines naming its specs. */
  text: string;
  /** The document version the check ran on. */
  version: number | null;
  model: string;
}

/**
 * The graph the quantizer annotated, from its latest check; waits for a check in flight (cancellable). Fails with
 * a message when the file is not a target or the workspace is not trusted.
 */
export const AnnotatedGraphRequest = new RequestType<AnnotatedGraphParams, AnnotatedGraphResult, void>("qkit/annotatedGraph");

export type ModelState = "not-loaded" | "loading" | "loaded" | "error";

export interface TargetStatus {
  quantizer: string;
  model: string;
  modelState: ModelState;
  /** The loader's message when the model does not load. */
  modelError?: string;
  lastCheck?: {
    outcome: "done" | "load-error" | "timeout" | "out-of-memory" | "exited" | "crashed";
    durationMs: number;
    errors: number;
    warnings: number;
    annotated?: number;
    total?: number;
    /** Where the time from the last edit to these results went. */
    timings?: CheckTimings;
  };
  /** Added by the server for each target. */
  calibration?: CalibrationStatus;
}

/**
 * The path from an edit to its published diagnostics, in ms: the debounce; compiling the quantizer (server thread);
 * waiting for a sandbox (none when a warmed-up spare is ready) and how long that sandbox took to make its model
 * (done in the background by a spare); in the sandbox, loading the quantizer module, its annotate() and checking the
 * annotations, then its report; the messages between the two; placing and publishing the diagnostics. Type errors
 * are checked meanwhile on the server's thread (`typeCheckMs`); a publish pairs both. `warmSandbox`: the check ran in a
 * spare that was ready before the check asked for one; `model`: that sandbox rebuilt its model from the server's
 * snapshot of the loaded graph, or decoded the file itself; `reusedSandbox`: the sandbox had run an earlier check, which
 * left no trace in it.
 */
export interface CheckTimings {
  debounceMs: number;
  /** The edit came after a quiet gap (none within `qkit.debounceMs` before it) and its check started without a debounce. */
  checkedAtOnce: boolean;
  compileMs: number;
  workerStartMs: number;
  modelDecodeMs: number;
  warmSandbox: boolean;
  reusedSandbox: boolean;
  model: "snapshot" | "file";
  loadMs: number;
  annotateMs: number;
  checkMs: number;
  reportMs: number;
  transferMs: number;
  publishMs: number;
  typeCheckMs: number;
}

/** Where a target's calibration stands; `report` is the saved calibration report the hovers read. */
export interface CalibrationStatus {
  state: "none" | "running" | "done" | "failed";
  /** 0..100 while running, when the number of samples is known. */
  percent?: number;
  /** The report's URI once one exists (from this run or an earlier one). */
  report?: string;
  /** Why the last run failed. */
  error?: string;
}

export interface StatusResult {
  trusted: boolean;
  /** The qkit.json in use, as a URI; null when the workspace has none. */
  config: string | null;
  configProblems: number;
  targets: TargetStatus[];
  checksRunning: number;
  /**
   * Check sandboxes: spares ready for the next check or warming up, how many were started in all, and how many were
   * spent: thrown away after a check that left a trace, or after their share of checks (a sandbox that left none takes the next).
   */
  checkSandboxes: { ready: number; warming: number; started: number; spent: number };
  settings: QkitSettings;
}

export const StatusRequest = new RequestType0<StatusResult, void>("qkit/status");

/** Sent after each finished check, so a status bar can follow without polling. */
export const StatusChangedNotification = new NotificationType<StatusResult>("qkit/statusChanged");

export interface RunCalibrationParams {
  /** A quantizer file listed in qkit.json; its target's calibration data, batch size, limit and output are used. */
  uri: string;
  /** Write the quantized model here instead of the target's `output` (Export quantized model). */
  output?: string;
  /** $/progress token for percentage and samples/s (the client creates it; cancelling the request stops the run). */
  workDoneToken?: string | number;
}

export interface RunCalibrationResult {
  /** URIs of the written QDQ model and of the calibration report beside it. */
  output: string;
  report: string;
  items: number;
  durationMs: number;
  samplesPerSecond: number;
  /** Nodes below the SQNR threshold, worst first. */
  lowSqnr: { node: string; sqnr: number }[];
}

/**
 * Check, prepare, calibrate, convert and export the target of a quantizer file in a worker (the quantizer and data
 * modules are user code), then compare float and quantized per node. Output and report are written atomically; a
 * cancelled run writes nothing. Fails when the workspace is not trusted, the file is not a target, or the target has
 * no `calibration.data`.
 */
export const RunCalibrationRequest = new RequestType<RunCalibrationParams, RunCalibrationResult, void>("qkit/runCalibration");

export interface GraphViewParams {
  uri: string;
}

export interface GraphLink {
  /** Zero-based line and character range of a node name in `text`. */
  line: number;
  start: number;
  end: number;
  /** The quantizer line that annotated the node. */
  target: { uri: string; line: number; character: number };
}

export interface GraphViewResult {
  /** The annotated graph, with each calibrated slot's qparams under its node. */
  text: string;
  links: GraphLink[];
  model: string;
  calibrated: boolean;
}

/** The annotated graph as a read-only document: text plus links from node names to the lines that annotated them. */
export const GraphViewRequest = new RequestType<GraphViewParams, GraphViewResult, void>("qkit/graphView");

export interface GraphModelParams {
  /** A quantizer file listed in qkit.json. */
  uri: string;
}

/** A node's quantization at a glance: the kinds of the specs on its slots (fixed and shared win over the rest). */
export type GraphNodeState = "annotated" | "shared" | "fixed" | "derived" | "float";

/** A place in a quantizer file (zero-based lines, as LSP counts). */
export interface GraphSite {
  uri: string;
  line: number;
  character: number;
  endLine: number;
}

/** One spec the quantizer put on an edge into the node or on its output. */
export interface GraphSlot {
  /** "from %x" for an input edge, "output" for the node's value. */
  where: string;
  kind: "observed" | "fixed" | "shared" | "derived";
  dtype?: string;
  qscheme?: string;
  /** Where the spec was created. */
  site?: GraphSite;
}

export interface GraphModelNode {
  name: string;
  /** ONNX op type; "input" and "output" for the graph's inputs and outputs. */
  opType: string;
  /** Module paths from the exporter's names, outermost first ("layer1", "layer1.0", "layer1.0.conv1"). */
  modules: string[];
  /** Producers of this node's activations, as indices into `nodes` (weights and constants are left out). */
  inputs: number[];
  /** Weights and constants the node reads: name and shape. */
  params: string[];
  shape?: string;
  state: GraphNodeState;
  /** Whether the int8 runtime runs it on integer kernels as annotated, and why not when it does not. */
  int8: boolean;
  why?: string;
  /** The line that annotated the node. */
  site?: GraphSite;
  slots: GraphSlot[];
  /** Indices into `groups` of the calibrated sharing groups touching the node. */
  groups: number[];
  /** Local SQNR in dB after calibration (null: identical to float; absent: not compared). */
  sqnr?: number | null;
}

/** A calibrated sharing group: its qparams and, for histogram observers, the bins with the clip range. */
export interface GraphGroup {
  observer: string;
  dtype: string;
  /** The qparams as Netron writes them, or a per-channel summary. */
  qparams: string;
  where: string[];
  /** Observed min and max (per-tensor), and the range the qparams represent. */
  min?: number;
  max?: number;
  clip?: [number, number];
  /** Histogram observers: at most 128 bins spanning [min, max]. */
  histogram?: number[];
}

export interface GraphModelResult {
  model: string;
  quantizer: string;
  /** Calibration items when a report exists. */
  calibrated?: number;
  nodes: GraphModelNode[];
  groups: GraphGroup[];
  /** The SQNR warning threshold (setting qkit.sqnrThresholdDb), the middle of the colour scale. */
  sqnrThresholdDb: number;
}

/**
 * The annotated (and, after calibration, calibrated) model as data for a drawing: nodes with their module path,
 * quantization state, int8 status, annotating lines and qparams. Waits for a check in flight (cancellable); fails
 * with a message when the file is not a target, the workspace is not trusted or the last check did not finish.
 */
export const GraphModelRequest = new RequestType<GraphModelParams, GraphModelResult, void>("qkit/graphModel");

export interface NewQuantizerParams {
  /** The ONNX model to write a quantizer for (a file URI). */
  model: string;
  /** Whose specs and fusions the file follows (`qkit init --like`); xnnpack when left out. */
  like?: "xnnpack" | "x86" | "ort-qdq";
  /** The quantizer file to write (a file URI); `<model name>-quantizer.ts` beside qkit.json when left out. */
  out?: string;
  /** Replace `out` when it exists; without it an existing file fails the request and is left as it was. */
  force?: boolean;
}

export interface NewQuantizerResult {
  /** The written quantizer file's URI. */
  quantizer: string;
  /** The qkit.json that names it as a target (created when the workspace had none). */
  config: string;
  /** False when qkit.json already had this target. */
  targetAdded: boolean;
}

/**
 * Write a readable quantizer for a model (what `qkit init` writes: its patterns, a QuantizationConfig per pattern,
 * int32 biases derived) and add it to qkit.json as a target; both files written atomically. Runs no user code, so
 * it works in untrusted workspaces too. Fails with a one-line message when the model does not load, the file exists
 * (without `force`), or qkit.json is not valid.
 */
export const NewQuantizerRequest = new RequestType<NewQuantizerParams, NewQuantizerResult, void>("qkit/newQuantizer");

/**
 * The same scaffold as an LSP command (`workspace/executeCommand`), for clients that cannot send qkit/newQuantizer:
 * arguments `[model, options?]`, the model a file URI or a path (relative to the workspace root), options
 * `{ like?, out?, force? }` as in NewQuantizerParams; answers a NewQuantizerResult and, when the client can show
 * documents (`window/showDocument`), opens the new file. Its own name: VS Code's client registers every command the
 * server lists, and the extension's `qkit.newQuantizer` asks the user first.
 */
export const NEW_QUANTIZER_COMMAND = "qkit.scaffoldQuantizer";

/**
 * Run calibration as an LSP command, for clients without qkit/runCalibration (the "Run calibration" lens in Neovim):
 * arguments `[quantizer, output?]` (URIs or paths). The server creates its own work-done progress where the client
 * allows (`window.workDoneProgress`), cancellable; answers a RunCalibrationResult and says the outcome with
 * `window/showMessage`.
 */
export const CALIBRATE_COMMAND = "qkit.calibrate";

/**
 * Open a quantizer's annotated graph document (`qkit-graph:///…`, its text from qkit/graphView) with
 * `window/showDocument`: argument `[quantizer]`; answers `{ uri }` (the graph document's URI) whether or not the client
 * could show it.
 */
export const OPEN_GRAPH_COMMAND = "qkit.openGraph";
