import { pathToFileURL } from "node:url";
import { INT8_OP_TYPES, type Coverage, type GroupReport, type Model, type Node, type SourceLocation } from "qkit/tooling";
import type { AnnotationInfo } from "../check/worker-protocol.js";
import type { LoadedReport } from "../calibration/calibration-store.js";
import type { GraphGroup, GraphModelNode, GraphModelResult, GraphNodeState, GraphSite, GraphSlot } from "../protocol.js";
import { netronFormula } from "./qparam-hover.js";

/** Histogram bins sent to the drawing: enough for a 300-pixel chart, a small fraction of an observer's 2048. */
const HISTOGRAM_BARS = 128;

export interface GraphModelInput {
  model: Model;
  quantizer: string;
  annotations: AnnotationInfo[];
  coverage: Coverage;
  report: LoadedReport | undefined;
  sqnrThresholdDb: number;
}

function site(location: SourceLocation | undefined): GraphSite | undefined {
  if (!location) return undefined;
  return { uri: pathToFileURL(location.file).href, line: location.line - 1, character: location.column - 1, endLine: (location.endLine ?? location.line) - 1 };
}

/** The check report names a spec by its class; the view by the PT2E kind (a subclass keeps its base's kind). */
function specKind(className: string): GraphSlot["kind"] {
  return /Fixed/.test(className) ? "fixed" : /Shared/.test(className) ? "shared" : /Derived/.test(className) ? "derived" : "observed";
}

function nodeState(slots: GraphSlot[]): GraphNodeState {
  const kinds = new Set(slots.map((s) => s.kind));
  if (kinds.size === 0) return "float";
  if (kinds.has("fixed")) return "fixed";
  if (kinds.has("shared")) return "shared";
  if ([...kinds].every((k) => k === "derived")) return "derived";
  return "annotated";
}

/** Whether the int8 runtime runs the node, and the coverage rule's reason when it does not. */
function int8Status(node: Node, state: GraphNodeState, notInt8: Set<string>): { int8: boolean; why?: string } {
  if (state === "float") {
    if (notInt8.has(node.name)) return { int8: false, why: "left float between quantized neighbours: it runs in fp32 with a dequantize before and a quantize after" };
    return { int8: false, why: "not annotated: runs in fp32" };
  }
  if (!INT8_OP_TYPES.has(node.opType)) return { int8: false, why: `the int8 runtime has no integer kernel for ${node.opType}: it runs in fp32 between Q/DQ` };
  if (notInt8.has(node.name)) return { int8: false, why: `its inputs broadcast: the int8 ${node.opType} takes equal shapes, so it stays fp32` };
  return { int8: true };
}

function numbers(x: unknown): number[] | undefined {
  if (typeof x === "number") return [x];
  if (Array.isArray(x) && x.every((v) => typeof v === "number")) return x as number[];
  return undefined;
}

function rebin(counts: number[], bars: number): number[] {
  if (counts.length <= bars) return counts;
  const out = new Array<number>(bars).fill(0);
  counts.forEach((c, i) => (out[Math.floor((i * bars) / counts.length)]! += c));
  return out;
}

const short = (x: number) => (x === 0 ? "0" : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toPrecision(4));

function group(g: GroupReport): GraphGroup {
  const where = g.slots.map((s) => s.description.replace(/%/g, ""));
  const base = { observer: g.observer, dtype: g.range.dtype, where };
  if (g.scale.length === 0) return { ...base, qparams: "the observer saw no data: no qparams" };
  const state = (typeof g.state === "object" && g.state !== null ? g.state : {}) as Record<string, unknown>;
  if (g.scale.length > 1 || g.axis !== undefined) {
    return { ...base, qparams: `per channel (axis ${g.axis ?? "?"}): ${g.scale.length} scales ${short(Math.min(...g.scale))} … ${short(Math.max(...g.scale))}` };
  }
  const scale = g.scale[0]!;
  const zeroPoint = g.zeroPoint[0]!;
  const clip: [number, number] = [scale * (g.range.quantMin - zeroPoint), scale * (g.range.quantMax - zeroPoint)];
  const min = numbers(state.min)?.[0];
  const max = numbers(state.max)?.[0];
  const histogram = numbers(state.histogram);
  return {
    ...base,
    qparams: `${netronFormula(scale, zeroPoint)} · q in [${g.range.quantMin}, ${g.range.quantMax}]`,
    clip,
    ...(min !== undefined && max !== undefined ? { min, max } : {}),
    ...(histogram && histogram.length > 0 && min !== undefined && max !== undefined && max > min ? { histogram: rebin(histogram, HISTOGRAM_BARS) } : {}),
  };
}

/** A multi-output call's values are read through getitem nodes; the drawing shows the call itself. */
function drawn(node: Node): Node | undefined {
  if (node.kind === "getitem") return node.args[0] ?? undefined;
  return node.kind === "parameter" ? undefined : node;
}

function shapeText(node: Node): string | undefined {
  return node.meta.shape ? `[${node.meta.shape.join(", ")}]` : undefined;
}

/**
 * The graph view's data: the model's nodes (inputs, operators and outputs; weights listed on their readers) with
 * the last check's annotations, the coverage rule's int8 verdicts and, after calibration, the report's groups and
 * per-node SQNR. Plain data: the drawing (module folding, layout, colours) is the client's.
 */
export function graphModel(input: GraphModelInput): GraphModelResult {
  const { model, report } = input;
  const annotations = new Map(input.annotations.map((a) => [a.node, a]));
  const notInt8 = new Set(input.coverage.rows.flatMap((r) => r.notInt8Nodes));
  const shown = model.graph.nodes.filter((n) => n.kind === "placeholder" || n.kind === "call" || n.kind === "output");
  const index = new Map(shown.map((n, i) => [n, i]));
  const groups: GraphGroup[] = [];
  const groupIndex = new Map<GroupReport, number>();
  const groupsOf = (name: string): number[] =>
    (report?.byNode.get(name) ?? []).map((g) => {
      let at = groupIndex.get(g);
      if (at === undefined) {
        at = groups.push(group(g)) - 1;
        groupIndex.set(g, at);
      }
      return at;
    });
  const nodes = shown.map((node): GraphModelNode => {
    const annotation = annotations.get(node.name);
    const slots: GraphSlot[] = (annotation?.slots ?? []).map((s) => ({
      where: s.from !== undefined ? `from ${s.from}` : "output",
      kind: specKind(s.spec.kind),
      ...(s.spec.dtype ? { dtype: s.spec.dtype } : {}),
      ...(s.spec.qscheme ? { qscheme: s.spec.qscheme } : {}),
      ...(s.spec.site ? { site: site(s.spec.site)! } : {}),
    }));
    const inputs: number[] = [];
    const params: string[] = [];
    for (const arg of node.args) {
      if (!arg) continue;
      if (arg.kind === "parameter") params.push(`${arg.name} ${shapeText(arg) ?? ""}`.trim());
      const from = drawn(arg);
      const at = from && index.get(from);
      if (at !== undefined && !inputs.includes(at)) inputs.push(at);
    }
    const state = node.kind === "call" ? nodeState(slots) : "float";
    const sqnr = report?.sqnr.get(node.name);
    const shape = shapeText(node);
    const at = site(annotation?.site);
    return {
      name: node.name,
      opType: node.kind === "placeholder" ? "input" : node.kind === "output" ? "output" : node.opType,
      modules: (node.meta.moduleStack ?? []).map((f) => f.path),
      inputs,
      params,
      ...(shape ? { shape } : {}),
      state,
      ...(node.kind === "call" ? int8Status(node, state, notInt8) : { int8: false }),
      ...(at ? { site: at } : {}),
      slots,
      groups: groupsOf(node.name),
      ...(sqnr ? { sqnr: sqnr.sqnr } : {}),
    };
  });
  return {
    model: input.model.source,
    quantizer: input.quantizer,
    ...(report ? { calibrated: report.report.items } : {}),
    nodes,
    groups,
    sqnrThresholdDb: input.sqnrThresholdDb,
  };
}
