/** Messages between the server and a calibration worker; plain data only. */

export interface CalibrationJob {
  modelPath: string;
  quantizerPath: string;
  dataPath: string;
  batchSize: number;
  limit: number | undefined;
  normalize: { scale?: number; mean?: number[]; std?: number[] };
  outputPath: string;
  reportPath: string;
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
