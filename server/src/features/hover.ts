import * as path from "node:path";
import type * as ts from "typescript";
import { MarkupKind, type Hover } from "vscode-languageserver";
import type { Model, Node } from "qkit/tooling";
import type { AnnotationInfo, CheckReport, SlotInfo, SpecInfo } from "../check/worker-protocol.js";
import { stringAt } from "../typescript/syntax-queries.js";
import { rangeOf } from "./diagnostics.js";

const MAX_LISTED = 12;

/** As the graph's text form writes a value's type: float32[batch,16,28,28]. */
function typeOf(node: Node): string {
  return node.meta.dtype || node.meta.shape ? `${node.meta.dtype ?? "?"}[${node.meta.shape?.join(",") ?? "?"}]` : "?";
}

function describeNode(node: Node): string {
  const what = node.kind === "call" ? node.opType : node.kind;
  return `\`${node.name}\` — ${what} ${typeOf(node)}`;
}

function specLabel(spec: SpecInfo): string {
  return [spec.kind, spec.dtype, spec.qscheme].filter(Boolean).join(" ");
}

function slotLabel(slot: SlotInfo, model: Model): string {
  const node = model.graph.node(slot.node);
  if (slot.from !== undefined) {
    const from = model.graph.node(slot.from);
    return `edge \`${slot.from}\` → \`${slot.node}\`${from ? ` (${typeOf(from)})` : ""}`;
  }
  return `output of \`${slot.node}\`${node ? ` (${node.opType || node.kind} ${typeOf(node)})` : ""}`;
}

function list<T>(items: T[], render: (x: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map((x) => `- ${render(x)}`);
  if (items.length > MAX_LISTED) shown.push(`- … and ${items.length - MAX_LISTED} more`);
  return shown.join("\n");
}

function siteLine(site: { file: string; line: number } | undefined): string {
  return site ? `${path.basename(site.file)}:${site.line}` : "an unknown line";
}

/** A node name: what the node is, and which annotation (and specs) the last check put on it. */
function nodeHover(node: Node, report: CheckReport | undefined, model: Model): string {
  const parts = [`**${node.kind === "call" ? node.opType : node.kind}** ${describeNode(node)}`];
  const args = node.args.filter((a): a is Node => !!a);
  if (args.length) parts.push(`inputs: ${args.map((a) => `\`${a.name}\` ${typeOf(a)}`).join(", ")}`);
  const module = node.meta.moduleStack?.at(-1)?.path;
  if (module) parts.push(`module: \`${module}\``);
  if (report) {
    const annotation = report.annotations.find((a) => a.node === node.name);
    const incoming = report.annotations.flatMap((a) => a.slots.filter((s) => s.from === node.name));
    if (annotation) {
      parts.push(`annotated at ${siteLine(annotation.site)}:\n${list(annotation.slots, (s) => `${slotLabel(s, model)}: ${specLabel(s.spec)} (${siteLine(s.spec.site)})`)}`);
    } else {
      parts.push("not annotated: left float");
    }
    if (incoming.length) parts.push(`its value is quantized on the way into:\n${list(incoming, (s) => `\`${s.node}\`: ${specLabel(s.spec)} (${siteLine(s.spec.site)})`)}`);
  }
  return parts.join("\n\n");
}

/** The spec or annotation created on this line: every edge and node it was put on. */
function siteHover(file: string, line: number, column: number, report: CheckReport, model: Model): string | undefined {
  const onLine = (site: { file: string; line: number; column: number } | undefined) => !!site && site.file === file && site.line === line;
  const annotations: AnnotationInfo[] = report.annotations.filter((a) => onLine(a.site));
  const slots = report.annotations.flatMap((a) => a.slots.filter((s) => onLine(s.spec.site)));
  if (!annotations.length && !slots.length) return undefined;
  // Several constructors on one line: the one the cursor is on or right after.
  const columns = [...new Set([...annotations.map((a) => a.site!.column), ...slots.map((s) => s.spec.site!.column)])].sort((a, b) => a - b);
  const column1 = column + 1;
  const chosen = [...columns].reverse().find((c) => c <= column1) ?? columns[0]!;
  const ann = annotations.filter((a) => a.site!.column === chosen);
  const specs = slots.filter((s) => s.spec.site!.column === chosen);
  const parts: string[] = [];
  if (ann.length) {
    parts.push(`**QuantizationAnnotation** created here, on ${ann.length} node${ann.length === 1 ? "" : "s"}:\n${list(ann, (a) => {
      const node = model.graph.node(a.node);
      return node ? describeNode(node) : `\`${a.node}\``;
    })}`);
  }
  if (specs.length) {
    parts.push(`**${specLabel(specs[0]!.spec)}** created here, used for ${specs.length} edge${specs.length === 1 ? "" : "s"}/output${specs.length === 1 ? "" : "s"}:\n${list(specs, (s) => slotLabel(s, model))}`);
  }
  return parts.join("\n\n");
}

export function hover(sf: ts.SourceFile, offset: number, model: Model | undefined, modelName: string, report: CheckReport | undefined): Hover | null {
  const str = stringAt(sf, offset);
  if (str && model) {
    const range = rangeOf(sf, str.node.getStart(sf), str.node.end);
    if (str.inSourcePartitions) {
      const matches = model.graph.calls(str.value);
      const value = matches.length
        ? `getSourcePartitions matches **${matches.length}** ${str.value} partition${matches.length === 1 ? "" : "s"} in ${modelName}:\n${list(matches, describeNode)}`
        : `${modelName} has no ${str.value} nodes: this partition list is empty`;
      return { contents: { kind: MarkupKind.Markdown, value }, range };
    }
    const node = model.graph.node(str.value);
    if (node) return { contents: { kind: MarkupKind.Markdown, value: nodeHover(node, report, model) }, range };
  }
  if (report && model) {
    const at = sf.getLineAndCharacterOfPosition(offset);
    const value = siteHover(sf.fileName, at.line + 1, at.character, report, model);
    if (value) return { contents: { kind: MarkupKind.Markdown, value } };
  }
  return null;
}
