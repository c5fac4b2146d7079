/**
 * Messages between the graph panel (extension side, graph-panel.ts) and its webview script (client/webview), and
 * the state the webview keeps across reloads. Types only: both sides import this file.
 */
import type { GraphModelResult } from "qkit-language-server/protocol";

export type ColourMode = "op" | "state" | "sqnr";

/** What the webview saves with `setState`; the panel serializer reopens the same quantizer's graph from it. */
export interface GraphViewState {
  quantizer: string;
  expanded: string[];
  colour: ColourMode;
  selected?: string;
}

export type ToWebview =
  | { kind: "graph"; graph: GraphModelResult }
  | { kind: "error"; message: string }
  /** The editor's cursor: nodes annotated or given a spec on this line are highlighted. */
  | { kind: "cursor"; uri: string; line: number };

export type FromWebview =
  | { kind: "ready"; quantizer: string }
  /** Open the quantizer at this place (zero-based). */
  | { kind: "reveal"; uri: string; line: number; character: number };
