import type { OutlineHeader, OutlineNode } from "./model-outline.js";

export interface LoadWorkerData {
  /** The model file, read by the worker itself (external data from its folder): its bytes never sit in the server's heap. */
  file: string;
  /** Nodes per message. */
  batch: number;
}

export type LoadWorkerMessage =
  | { kind: "header"; header: OutlineHeader }
  | { kind: "nodes"; nodes: OutlineNode[] }
  | { kind: "error"; message: string };
