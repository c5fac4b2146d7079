/**
 * Messages between the server and a check worker. Everything here crosses a structured clone, so it is plain data:
 * the worker owns the model and the user's objects, the server sees only this report.
 */
import type { Coverage, Finding, SourceLocation } from "qkit/tooling";

export interface WorkerData {
  /**
   * The model file, which the sandbox reads and decodes itself: the quantizer sees tensors as views into the
   * sandbox's own bytes, so whatever it writes there never reaches the server or a later check.
   */
  modelPath: string;
  /** The file's `size:mtimeMs` as the server loaded it; a sandbox that finds another refuses to check a different model. */
  modelStamp: string;
  /**
   * The graph as the server's load worker left it, with the tensors' bytes named by their place in the file
   * (model-snapshot.ts): rebuilt in milliseconds, where decoding the file takes hundreds. Without it (or when it is of
   * another version of the file) the sandbox decodes the file.
   */
  snapshot?: Uint8Array;
}

export interface CheckJob {
  /** The quantizer file to run. */
  file: string;
  /** JavaScript (with inline source maps) the server compiled for the quantizer and its imports, by absolute path. */
  compiled: Record<string, string>;
  /** Text of open documents (the editor's, possibly unsaved), by absolute path; other files are read from disk. */
  sources: Record<string, string>;
}

export interface SpecInfo {
  kind: string;
  site: SourceLocation | undefined;
  dtype?: string;
  qscheme?: string;
}

/** One edge or node output a spec was put on. */
export interface SlotInfo {
  /** The annotated node. */
  node: string;
  /** For an input spec, the producer of the edge. */
  from?: string;
  spec: SpecInfo;
}

export interface AnnotationInfo {
  node: string;
  site: SourceLocation | undefined;
  slots: SlotInfo[];
}

export interface CheckReport {
  className: string;
  classSite: SourceLocation;
  findings: Finding[];
  coverage: Coverage;
  annotations: AnnotationInfo[];
  /** The annotated graph in qkit's text form (qkit/annotatedGraph). */
  graphText: string;
  /**
   * Where the worker's time went, in ms: loading the quantizer module, its annotate(), checking the annotations, and
   * making this report.
   */
  timings: { load: number; annotate: number; check: number; report: number };
}

export interface LoadFailure {
  code: string;
  /** What is wrong, without the file and position an editor shows it at. */
  message: string;
  location: SourceLocation | undefined;
}

/** Where a sandbox's model came from: the server's snapshot, or its own decode of the file. */
export type ModelSource = "snapshot" | "file";

export type WorkerMessage =
  /**
   * The model is ready (in `decodeMs`, rebuilt from the snapshot or decoded from the file): the worker waits for its
   * job. `reused`: the worker ran a check before, which left no trace (its model is rebuilt for the next).
   */
  | { kind: "ready"; decodeMs: number; model: ModelSource; reused: boolean }
  /** After a check that left a trace (or after its share of checks): the worker takes no other job. */
  | { kind: "spent"; reason: string }
  | { kind: "model-error"; message: string }
  | { kind: "phase"; phase: "annotate"; classSite: SourceLocation; className: string }
  | { kind: "result"; report: CheckReport }
  | { kind: "load-error"; failure: LoadFailure };
