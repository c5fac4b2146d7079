import type { Project, SourceFile } from "ts-morph";
import type { TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { loadTsMorph } from "qkit/tooling";

let project: Project | undefined;

/**
 * ts-morph, loaded on the first fix (sessions that never ask for one never pay for it), through the runtime, so
 * the fixes and the scaffold share one copy, on the server's TypeScript.
 */
export function morph(): typeof import("ts-morph") {
  return loadTsMorph();
}

/**
 * A ts-morph source file holding the given text, in an in-memory project (fixes edit syntax; they need no types).
 * Each call replaces the previous copy of the file.
 */
export function editableSource(file: string, text: string): SourceFile {
  const { Project, ts } = morph();
  project ??= new Project({ useInMemoryFileSystem: true, skipLoadingLibFiles: true, compilerOptions: { target: ts.ScriptTarget.ES2022, allowJs: true }, manipulationSettings: { usePrefixAndSuffixTextForRename: false } });
  project.manipulationSettings.set({ indentationText: indentationOf(text) });
  return project.createSourceFile(file, text, { overwrite: true });
}

/** The file's own indentation, so inserted lines match: a tab, or its smallest indent of two spaces or more. */
function indentationOf(text: string) {
  const { IndentationText } = morph();
  if (/^\t/m.test(text)) return IndentationText.Tab;
  const widths = [...text.matchAll(/^( +)\S/gm)].map((m) => m[1]!.length).filter((w) => w >= 2);
  const width = widths.length ? Math.min(...widths) : 2;
  return width === 4 ? IndentationText.FourSpaces : width === 8 ? IndentationText.EightSpaces : IndentationText.TwoSpaces;
}

/** The one edit that turns `before` into `after`: the changed middle, between their common prefix and suffix. */
export function minimalEdit(doc: TextDocument, before: string, after: string): TextEdit | undefined {
  if (before === after) return undefined;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return { range: { start: doc.positionAt(start), end: doc.positionAt(before.length - end) }, newText: after.slice(start, after.length - end) };
}

/** Run an edit on a fresh copy of the document's syntax and return it as a text edit (undefined: nothing to change). */
export function editWith(doc: TextDocument, file: string, change: (sf: SourceFile) => boolean | void): TextEdit | undefined {
  const before = doc.getText();
  const sf = editableSource(file, before);
  if (change(sf) === false) return undefined;
  return minimalEdit(doc, before, sf.getFullText());
}
