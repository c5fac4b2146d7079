import type { OutlineHeader, OutlineNode } from "./model-outline.js";

export interface LoadWorkerData {
  /** The file's bytes (a SharedArrayBuffer: nothing is copied). */
  bytes: Uint8Array;
  name: string;
  /** Where external data is read from: the model's folder. */
  baseDir: string;
  /** Nodes per message. */
  batch: number;
}

export type LoadWorkerMessage =
  | { kind: "header"; header: OutlineHeader }
  | { kind: "nodes"; nodes: OutlineNode[] }
  | { kind: "error"; message: string };
