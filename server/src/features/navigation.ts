import * as path from "node:path";
import * as ts from "typescript";
import type { Location, Range } from "vscode-languageserver";
import type { AnnotationInfo } from "../check/worker-protocol.js";
import type { Workspace } from "../workspace/workspace.js";
import type { CalibrationService } from "../calibration/calibration-service.js";
import { stringAt } from "../typescript/syntax-queries.js";
import { pathToUri } from "../util/uri.js";
import { graphView } from "./graph-view.js";

export const GRAPH_SCHEME = "qkit-graph";

/**
 * The annotated-graph document of a quantizer, as the client names it (`qkit-graph:///NAME.qkit-graph?QUANTIZER`).
 * The empty authority (`//`) is what makes editors such as Vim take it for a URL rather than a relative file name;
 * VS Code reads it as the same URI as its own `qkit-graph:/NAME…`.
 */
export function graphDocumentUri(quantizerFile: string): string {
  const name = path.basename(quantizerFile).replace(/\.[cm]?[jt]s$/, "");
  return `${GRAPH_SCHEME}:///${name}.qkit-graph?${encodeURIComponent(pathToUri(quantizerFile))}`;
}

/** A quantizer's last check, and the graph document text the client shows for it. */
export interface GraphSource {
  quantizer: string;
  annotations: AnnotationInfo[];
  text: string;
}

/** Every checked quantizer's graph document, as qkit/graphView gives it (qparams and all, so lines agree). */
export function graphSources(workspace: Workspace, calibration: CalibrationService | undefined): GraphSource[] {
  return [...workspace.results].flatMap(([quantizer, result]) => {
    const target = workspace.targetFor(quantizer);
    if (result.outcome.kind !== "done" || !target) return [];
    const { graphText, annotations } = result.outcome.report;
    return [{ quantizer, annotations, text: graphView(graphText, annotations, target.model, calibration?.reportFor(quantizer)).text }];
  });
}

interface GraphNodeLine {
  name: string;
  line: number;
  start: number;
  opType: string | undefined;
  module: string | undefined;
}

const NODE_LINE = /^(\s*)%(\S+?): [^=]*(?:= ([A-Za-z_][\w.]*)\()?/;
const MODULE = /\s+# (\S+)$/;

function nodeLines(text: string): GraphNodeLine[] {
  return text.split("\n").flatMap((line, i) => {
    const match = NODE_LINE.exec(line);
    return match ? [{ name: match[2]!, line: i, start: match[1]!.length + 1, opType: match[3], module: MODULE.exec(line)?.[1] }] : [];
  });
}

const nameRange = (n: GraphNodeLine): Range => ({ start: { line: n.line, character: n.start }, end: { line: n.line, character: n.start + n.name.length } });

/** The graph documents that show what a file annotated: its own quantizer's, else those of quantizers that ran its code. */
function sourcesFor(file: string, sources: GraphSource[]): GraphSource[] {
  const own = sources.filter((s) => s.quantizer === file);
  return own.length ? own : sources.filter((s) => s.annotations.some((a) => a.site?.file === file || a.slots.some((slot) => slot.spec.site?.file === file)));
}

/**
 * Go to definition from a string: a node name to its node in the graph document, an op type of getSourcePartitions to
 * every node of that type, a module name to the nodes of that module.
 */
export function nodeDefinitions(sf: ts.SourceFile, offset: number, sources: GraphSource[]): Location[] {
  const str = stringAt(sf, offset);
  if (!str || str.moduleSpecifier || !str.value) return [];
  const value = str.value;
  const locations: Location[] = [];
  for (const source of sourcesFor(sf.fileName, sources)) {
    const nodes = nodeLines(source.text);
    const byName = nodes.filter((n) => n.name === value);
    const inModule = (n: GraphNodeLine) => n.module === value || !!n.module?.startsWith(`${value}.`) || n.name.startsWith(`/${value.replace(/^\/|\/$/g, "")}/`);
    const found = str.inSourcePartitions ? nodes.filter((n) => n.opType === value) : byName.length ? byName : nodes.filter(inModule);
    locations.push(...found.map((n) => ({ uri: graphDocumentUri(source.quantizer), range: nameRange(n) })));
  }
  return locations;
}

const SPEC_CLASSES = new Set(["QuantizationSpec", "FixedQParamsQuantizationSpec", "DerivedQuantizationSpec", "SharedQuantizationSpec"]);

function innermost(sf: ts.SourceFile, offset: number): ts.Node[] {
  const chain: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (node.getStart(sf) <= offset && offset <= node.end) {
      chain.push(node);
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(sf, visit);
  return chain;
}

function isSpecCall(node: ts.Node | undefined): node is ts.NewExpression {
  if (!node || !ts.isNewExpression(node)) return false;
  const e = node.expression;
  return SPEC_CLASSES.has(ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : "");
}

/** The spec constructor call the cursor is in, or the one a variable under the cursor was initialized with. */
function specCallAt(sf: ts.SourceFile, offset: number): ts.NewExpression | undefined {
  const chain = innermost(sf, offset);
  const call = [...chain].reverse().find(isSpecCall);
  if (call) return call;
  const id = chain.at(-1);
  if (!id || !ts.isIdentifier(id)) return undefined;
  let found: ts.NewExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === id.text && node.initializer) {
      let init: ts.Expression = node.initializer;
      while (ts.isParenthesizedExpression(init) || ts.isAsExpression(init)) init = init.expression;
      if (isSpecCall(init)) found ??= init;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/**
 * Find references of a spec: every edge and node output it was put on, as the `##` lines of the graph documents
 * (the node's name when the line is not found).
 */
export function specReferences(sf: ts.SourceFile, offset: number, sources: GraphSource[]): Location[] {
  const call = specCallAt(sf, offset);
  if (!call) return [];
  const line = sf.getLineAndCharacterOfPosition(call.getStart(sf)).line + 1;
  const locations: Location[] = [];
  for (const source of sourcesFor(sf.fileName, sources)) {
    const lines = source.text.split("\n");
    const nodes = new Map(nodeLines(source.text).map((n) => [n.name, n]));
    for (const annotation of source.annotations) {
      for (const slot of annotation.slots) {
        if (slot.spec.site?.file !== sf.fileName || slot.spec.site.line !== line) continue;
        const node = nodes.get(slot.node);
        if (!node) continue;
        const prefix = slot.from !== undefined ? `## input ${slot.from}:` : "## output:";
        let at = node.line + 1;
        while (at < lines.length && /^\s+#/.test(lines[at]!) && !lines[at]!.trimStart().startsWith(prefix)) at++;
        const text = lines[at];
        const range = text?.trimStart().startsWith(prefix) ? { start: { line: at, character: text.length - text.trimStart().length }, end: { line: at, character: text.length } } : nameRange(node);
        locations.push({ uri: graphDocumentUri(source.quantizer), range });
      }
    }
  }
  return locations;
}
