import { CodeActionKind, type CodeAction, type CodeActionParams, type Diagnostic, type TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Model } from "qkit/tooling";
import { SOURCE } from "./diagnostics.js";
import type { Fix, Fixer } from "./fixes/fix.js";
import { rangeFixes } from "./fixes/range-fixes.js";
import { optionFixes } from "./fixes/option-fixes.js";
import { arityFixes } from "./fixes/arity-fixes.js";
import { edgeFixes, mapKeyFixes } from "./fixes/input-fixes.js";
import { nameFixes } from "./fixes/name-fixes.js";
import { dtypeGuardFixes, shapeOperandGuardFixes } from "./fixes/dtype-guard-fixes.js";
import { sqnrFixes } from "./fixes/sqnr-fixes.js";
import { configPathFixes } from "./fixes/config-path-fixes.js";

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.qkit`;

/** The fixers, by finding code. Every edit they make to TypeScript goes through ts-morph (fixes/source-edit.ts). */
const FIXERS: Record<string, Fixer> = {
  "quant-range-outside-dtype": rangeFixes,
  "quant-range-inverted": rangeFixes,
  "quant-range-excludes-zero": rangeFixes,
  "unknown-option": optionFixes,
  "derived-arity-mismatch": arityFixes,
  "input-not-an-argument": mapKeyFixes,
  "node-from-another-graph": mapKeyFixes,
  "edge-not-in-graph": edgeFixes,
  "unknown-node": nameFixes,
  "unknown-op-type": nameFixes,
  "unknown-module": nameFixes,
  "non-float-quantized": dtypeGuardFixes,
  "shape-operand-quantized": shapeOperandGuardFixes,
  "low-sqnr": sqnrFixes,
  "quantizer-not-found": configPathFixes,
  "model-load-failed": configPathFixes,
};

export const FIXABLE_CODES = Object.keys(FIXERS);

function fixesFor(diagnostic: Diagnostic, doc: TextDocument, file: string, model: Model | undefined): Fix[] {
  // Some clients send back only part of a diagnostic (no source): the code is what matters.
  const fixer = diagnostic.source === SOURCE || diagnostic.source === undefined ? FIXERS[String(diagnostic.code)] : undefined;
  if (!fixer) return [];
  try {
    return fixer({ diagnostic, doc, file, offset: doc.offsetAt(diagnostic.range.start), model });
  } catch {
    // Code the fixer did not foresee (a half-typed line): no fix is better than a failed request.
    return [];
  }
}

/**
 * Quick fixes for the diagnostics the client sends, and `source.fixAll.qkit`: every fix that is the only one for its
 * diagnostic, over all of the file's diagnostics, edits that overlap an earlier one left out.
 */
export function codeActions(params: CodeActionParams, doc: TextDocument, file: string, model: Model | undefined, fileDiagnostics: Diagnostic[]): CodeAction[] {
  const only = params.context.only;
  const wants = (kind: string) => !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
  const actions: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    for (const diagnostic of params.context.diagnostics) {
      for (const f of fixesFor(diagnostic, doc, file, model)) {
        actions.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], ...(f.preferred ? { isPreferred: true } : {}), edit: { changes: { [doc.uri]: [f.edit] } } });
      }
    }
  }
  // Source actions are for the editor's source-action menu and on-save: only when asked for by kind.
  if (only && wants(FIX_ALL_KIND)) {
    const edits = fixAllEdits(doc, file, model, fileDiagnostics);
    if (edits.length) actions.push({ title: `Fix all qkit problems (${edits.length})`, kind: FIX_ALL_KIND, edit: { changes: { [doc.uri]: edits } } });
  }
  return actions;
}

export function fixAllEdits(doc: TextDocument, file: string, model: Model | undefined, diagnostics: Diagnostic[]): TextEdit[] {
  const edits = diagnostics.flatMap((d) => {
    const fixes = fixesFor(d, doc, file, model);
    return fixes.length === 1 ? [fixes[0]!.edit] : [];
  });
  edits.sort((a, b) => doc.offsetAt(a.range.start) - doc.offsetAt(b.range.start));
  const kept: TextEdit[] = [];
  for (const edit of edits) {
    const last = kept.at(-1);
    if (last && doc.offsetAt(edit.range.start) < doc.offsetAt(last.range.end)) continue;
    kept.push(edit);
  }
  return kept;
}
