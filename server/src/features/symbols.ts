import * as ts from "typescript";
import { SymbolKind, type DocumentSymbol, type SymbolInformation } from "vscode-languageserver";
import { rangeOf } from "./diagnostics.js";
import { pathToUri } from "../util/uri.js";

const SPEC_CLASSES = new Set(["QuantizationSpec", "FixedQParamsQuantizationSpec", "DerivedQuantizationSpec", "SharedQuantizationSpec"]);

function calleeName(e: ts.Expression): string {
  return ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : "";
}

/** `new QuantizationSpec(…)` (or `X.withArgs`-free variants) behind parentheses, `as` and `!`. */
function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}

/** What a variable holds, when it is a spec or a quantization config: the symbol's kind and detail. */
function variableKind(d: ts.VariableDeclaration, sf: ts.SourceFile): { kind: SymbolKind; detail: string } | undefined {
  const init = d.initializer && unwrap(d.initializer);
  if (init && ts.isNewExpression(init) && SPEC_CLASSES.has(calleeName(init.expression))) return { kind: SymbolKind.Constant, detail: calleeName(init.expression) };
  const type = d.type?.getText(sf);
  if (type && /QuantizationConfig\b/.test(type)) return { kind: SymbolKind.Object, detail: "QuantizationConfig" };
  if (init && ts.isCallExpression(init) && /Config$/.test(calleeName(init.expression))) return { kind: SymbolKind.Object, detail: `${calleeName(init.expression)}()` };
  return undefined;
}

/**
 * The outline of a quantizer file: its quantizer classes (with their methods and the specs made inside them) and the
 * specs and configs held in variables.
 */
export function documentSymbols(sf: ts.SourceFile): DocumentSymbol[] {
  const symbol = (name: string, kind: SymbolKind, node: ts.Node, nameNode: ts.Node, detail?: string, children?: DocumentSymbol[]): DocumentSymbol => ({
    name,
    kind,
    range: rangeOf(sf, node.getStart(sf), node.end),
    selectionRange: rangeOf(sf, nameNode.getStart(sf), nameNode.end),
    ...(detail ? { detail } : {}),
    ...(children?.length ? { children } : {}),
  });
  const collect = (node: ts.Node): DocumentSymbol[] => {
    const out: DocumentSymbol[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isClassDeclaration(n) && n.name) {
        const base = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression.getText(sf);
        if (base && /Quantizer$/.test(base)) {
          const members = n.members.flatMap((m) => (ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m) ? [symbol(m.name?.getText(sf) ?? "constructor", ts.isConstructorDeclaration(m) ? SymbolKind.Constructor : SymbolKind.Method, m, m.name ?? m.getFirstToken(sf)!, undefined, m.body ? collect(m.body) : [])] : []));
          out.push(symbol(n.name.text, SymbolKind.Class, n, n.name, `extends ${base}`, members));
          return;
        }
      }
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) {
        const what = variableKind(n, sf);
        if (what) out.push(symbol(n.name.text, what.kind, n, n.name, what.detail));
      }
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(node, visit);
    return out;
  };
  return collect(sf);
}

/** Case-insensitive subsequence match, as editors' symbol pickers do (`tq` finds TutorialQuantizer). */
function matches(query: string, name: string): boolean {
  const q = query.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  for (const c of n) if (c === q[i]) i++;
  return i === q.length;
}

/** The quantizer symbols of the given files (the workspace's quantizers and the files they import), flattened. */
export function workspaceSymbols(query: string, files: { file: string; sf: ts.SourceFile }[]): SymbolInformation[] {
  const out: SymbolInformation[] = [];
  for (const { file, sf } of files) {
    const walk = (symbols: DocumentSymbol[], container?: string) => {
      for (const s of symbols) {
        if (matches(query, s.name)) out.push({ name: s.name, kind: s.kind, location: { uri: pathToUri(file), range: s.selectionRange }, ...(container ? { containerName: container } : {}) });
        walk(s.children ?? [], s.name);
      }
    };
    walk(documentSymbols(sf));
  }
  return out;
}
