import * as ts from "typescript";
import { literalSpecProblems, type Finding } from "qkit/tooling";
import { specLiterals, type SpecLiteral } from "../typescript/syntax-queries.js";

/** The option a finding about a spec is about, when the code alone says (range findings ask the literals which bound). */
const OPTION_OF: Record<string, string> = {
  "invalid-dtype": "dtype",
  "invalid-qscheme": "qscheme",
  "invalid-observer": "observer",
  "fixed-scale-invalid": "scale",
  "fixed-zero-point-out-of-range": "zeroPoint",
  "ch-axis-out-of-range": "chAxis",
  "channel-count-mismatch": "chAxis",
  "per-channel-on-activation": "qscheme",
  "derived-per-channel-without-axis": "qscheme",
  "derived-arity-mismatch": "derivedFrom",
  "derived-source-unannotated": "derivedFrom",
  "dynamic-spec-on-parameter": "isDynamic",
};

const MAP_KEY_CODES = new Set(["input-not-an-argument", "node-from-another-graph", "not-a-spec"]);

function span(sf: ts.SourceFile, node: ts.Node): { start: number; end: number } {
  return { start: node.getStart(sf), end: node.end };
}

function optionNode(spec: SpecLiteral, f: Finding): ts.Node | undefined {
  if (f.code === "unknown-option") {
    const option = /has no option `([^`]+)`/.exec(f.message)?.[1];
    return option ? spec.keys.get(option) : undefined;
  }
  const problem = literalSpecProblems({ kind: spec.kind, keys: [...spec.keys.keys()], literals: spec.literals }).find((p) => p.code === f.code);
  const key = problem?.option ?? OPTION_OF[f.code];
  const node = key ? spec.keys.get(key) : undefined;
  // derivedFrom[i]: the one edge, not the whole list.
  const index = /derivedFrom\[(\d+)\]/.exec(f.message);
  if (node && index && ts.isPropertyAssignment(node) && ts.isArrayLiteralExpression(node.initializer)) return node.initializer.elements[Number(index[1])] ?? node;
  return node;
}

function calleeName(e: ts.LeftHandSideExpression): string {
  return ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : "";
}

/** `new QuantizationAnnotation({ inputQspecMap: [...] })` starting at the offset: the entry keyed by something else than `X.args[i]`. */
function mapEntry(sf: ts.SourceFile, start: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found || node.getStart(sf) > start || node.end < start) return;
    if (ts.isNewExpression(node) && node.getStart(sf) === start && calleeName(node.expression) === "QuantizationAnnotation") {
      const options = node.arguments?.[0];
      const map = options && ts.isObjectLiteralExpression(options) ? options.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "inputQspecMap") : undefined;
      if (!map || !ts.isPropertyAssignment(map) || !ts.isArrayLiteralExpression(map.initializer)) return;
      const owner = ts.isBinaryExpression(node.parent) && ts.isPropertyAccessExpression(node.parent.left) && ts.isPropertyAccessExpression(node.parent.left.expression) ? node.parent.left.expression.expression.getText(sf) : undefined;
      const entries = map.initializer.elements.filter(ts.isArrayLiteralExpression);
      const args = (e: ts.ArrayLiteralExpression) => owner !== undefined && e.elements[0] !== undefined && new RegExp(`^${owner.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.args\\[\\d+\\]!?$`).test(e.elements[0].getText(sf));
      found = entries.length === 1 ? entries[0] : entries.find((e) => !args(e)) ?? map;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** `q.setModuleName("cnv2", …)` whose method name (a stack frame's column) or call starts at the offset: the name argument. */
function selectorName(sf: ts.SourceFile, start: number): ts.StringLiteral | undefined {
  let found: ts.StringLiteral | undefined;
  const visit = (node: ts.Node): void => {
    if (found || node.getStart(sf) > start || node.end < start) return;
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "setModuleName" &&
      (node.expression.name.getStart(sf) === start || node.getStart(sf) === start)) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) found = arg;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

// One walk of a file's specs however many findings point into it (a check can give hundreds).
const specsByFile = new WeakMap<ts.SourceFile, Map<number, SpecLiteral>>();
function specsOf(sf: ts.SourceFile): Map<number, SpecLiteral> {
  let specs = specsByFile.get(sf);
  if (!specs) specsByFile.set(sf, (specs = new Map(specLiterals(sf).map((s) => [s.call.getStart(sf), s]))));
  return specs;
}

/**
 * The exact culprit of a finding whose site is a spec's or an annotation's constructor call: the option
 * (`quantMin: -200`), the `derivedFrom` list or edge, the inputQspecMap entry. Undefined when the source does not
 * show it (options passed as a variable, computed keys): then the constructor call stays underlined.
 */
export function culpritSpan(f: Finding, sf: ts.SourceFile, siteStart: number): { start: number; end: number } | undefined {
  if (f.code === "unknown-module") {
    const name = selectorName(sf, siteStart);
    return name ? span(sf, name) : undefined;
  }
  if (MAP_KEY_CODES.has(f.code)) {
    const entry = mapEntry(sf, siteStart);
    return entry ? span(sf, entry) : undefined;
  }
  const spec = specsOf(sf).get(siteStart);
  const node = spec && optionNode(spec, f);
  return node ? span(sf, node) : undefined;
}
