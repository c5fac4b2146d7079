/** Messages between the server and a calibration worker; plain data only. */
import type { PipelineTarget } from "qkit/tooling";


export interface CalibrationJob {
  /** The target with its paths resolved and its model as a file: plain data. */
  target: PipelineTarget & { model: string; output: string; report: string };
  /** Items the numeric debugger compares float and quantized on, after calibration. */
  compareItems: number;
}

export type CalibrationWorkerMessage =
  | { kind: "progress"; items: number; limit: number | undefined; elapsedMs: number }
  | { kind: "stage"; stage: "export" | "compare" }
  | { kind: "done"; items: number; durationMs: number }
  | { kind: "failed"; message: string }
  | { kind: "cancelled" };

export type CalibrationControlMessage = { kind: "abort" };
