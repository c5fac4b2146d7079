/** Messages between the server and its type-checking worker (plain data: LSP diagnostics, not TypeScript objects). */
import type { Diagnostic } from "vscode-languageserver";

export type TypeCheckRequest =
  | { kind: "open"; file: string; text: string; version: number }
  | { kind: "close"; file: string; keepRoot: boolean }
  | { kind: "root"; file: string }
  | { kind: "check"; id: number; file: string };

export interface TypeCheckResponse {
  id: number;
  file: string;
  diagnostics: Diagnostic[];
  ms: number;
}
