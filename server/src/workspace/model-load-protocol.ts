import type { OutlineHeader, OutlineNode } from "./model-outline.js";

export interface LoadWorkerData {
  /** The model file, read by the worker itself (external data from its folder): its bytes never sit in the server's heap. */
  file: string;
  /** Nodes per message. */
  batch: number;
}

export type LoadWorkerMessage =
  /** What check sandboxes start from (check/model-snapshot.ts); none for a model it cannot describe. */
  | { kind: "snapshot"; snapshot: Uint8Array }
  | { kind: "header"; header: OutlineHeader }
  | { kind: "nodes"; nodes: OutlineNode[] }
  | { kind: "error"; message: string };
