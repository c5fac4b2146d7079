import type { Diagnostic, TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Model } from "qkit/tooling";
import type { SourceFile } from "ts-morph";
import { editWith } from "./source-edit.js";

/** What a fixer gets: the diagnostic, the document it is in, and the model its target loads (when loaded). */
export interface FixInput {
  diagnostic: Diagnostic;
  doc: TextDocument;
  file: string;
  /** Offset of the diagnostic's start in the document. */
  offset: number;
  model: Model | undefined;
}

export interface Fix {
  title: string;
  edit: TextEdit;
  /** The fix to pick when the user does not choose (VS Code's "auto fix"). */
  preferred?: boolean;
}

export type Fixer = (input: FixInput) => Fix[];

/** A fix from a ts-morph edit of a fresh copy of the document; none when the edit changes nothing or gives up. */
export function fix(input: FixInput, title: string, change: (sf: SourceFile) => boolean | void, preferred = false): Fix[] {
  const edit = editWith(input.doc, input.file, change);
  return edit ? [{ title, edit, ...(preferred ? { preferred } : {}) }] : [];
}

/** A diagnostic's message as text (LSP 3.18 allows markup). */
export function messageOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === "string" ? diagnostic.message : diagnostic.message.value;
}
