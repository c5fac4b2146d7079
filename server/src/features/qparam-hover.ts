import type { GroupReport, NodeSqnrReport } from "qkit/tooling";
import { specsOnLine, type LoadedReport } from "../calibration/calibration-store.js";
import { histogramSvg } from "./histogram-svg.js";

const MAX_GROUPS = 4;

const num = (x: number) => (x === 0 ? "0" : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(4) : x.toPrecision(5));

/** As Netron writes a quantization: `0.0111 * (q + 55)`. */
export function netronFormula(scale: number, zeroPoint: number): string {
  if (zeroPoint === 0) return `${num(scale)} * q`;
  return `${num(scale)} * (q ${zeroPoint > 0 ? "-" : "+"} ${Math.abs(zeroPoint)})`;
}

function numbers(x: unknown): number[] | undefined {
  if (typeof x === "number") return [x];
  if (Array.isArray(x) && x.every((v) => typeof v === "number")) return x as number[];
  return undefined;
}

function perTensor(g: GroupReport, state: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const scale = g.scale[0]!;
  const zp = g.zeroPoint[0]!;
  // The range the qparams were computed for, as the report stores it: a dtype's own default, reduceRange applied.
  const { dtype, quantMin, quantMax } = g.range;
  const lo = scale * (quantMin - zp);
  const hi = scale * (quantMax - zp);
  lines.push(`\`${netronFormula(scale, zp)}\` — scale ${num(scale)}, zero point ${zp}, ${dtype} q in [${quantMin}, ${quantMax}]; represents [${num(lo)}, ${num(hi)}]`);
  const min = numbers(state.min)?.[0];
  const max = numbers(state.max)?.[0];
  if (min !== undefined && max !== undefined) lines.push(`observed min / max: ${num(min)} / ${num(max)}`);
  const histogram = numbers(state.histogram);
  if (histogram && min !== undefined && max !== undefined) {
    const uri = histogramSvg(histogram, min, max, lo, hi);
    if (uri) lines.push(`![histogram of ${g.observer} with the clipping range](${uri})`);
  }
  return lines;
}

function perChannel(g: GroupReport, state: Record<string, unknown>): string[] {
  const range = (xs: number[]) => `${num(Math.min(...xs))} … ${num(Math.max(...xs))}`;
  const lines = [`per channel (axis ${g.axis ?? "?"}): ${g.scale.length} channels, scale ${range(g.scale)}, zero points ${range(g.zeroPoint)}, ${g.range.dtype} q in [${g.range.quantMin}, ${g.range.quantMax}]`];
  const min = numbers(state.min);
  const max = numbers(state.max);
  if (min && max) lines.push(`observed min ${range(min)}, max ${range(max)}`);
  return lines;
}

/** One sharing group: the qparams as Netron writes them, what the observer saw, and its histogram when it has one. */
export function groupMarkdown(g: GroupReport, focusNode?: string): string {
  // On a node's hover, its own edges come first: a shared group may span many nodes.
  const slots = focusNode ? [...g.slots.filter((s) => s.node === focusNode), ...g.slots.filter((s) => s.node !== focusNode)] : g.slots;
  const where = slots.slice(0, 3).map((s) => s.description.replace(/%/g, "")).join("; ") + (g.slots.length > 3 ? `; … ${g.slots.length - 3} more` : "");
  const head = `**${[g.spec.dtype, g.spec.qscheme].filter(Boolean).join(" ")}** · ${g.observer} · ${where}`;
  if (g.scale.length === 0) return `${head}\n\nthe observer saw no data: no qparams`;
  const state = (typeof g.state === "object" && g.state !== null ? g.state : {}) as Record<string, unknown>;
  const body = g.scale.length > 1 || g.axis !== undefined ? perChannel(g, state) : perTensor(g, state);
  return [head, ...body].join("\n\n");
}

export function sqnrMarkdown(entry: NodeSqnrReport, thresholdDb: number): string {
  if (entry.sqnr === null) return `SQNR: ∞ (quantized output equals the float one)`;
  const low = entry.sqnr < thresholdDb;
  return `${low ? "⚠️ " : ""}SQNR **${entry.sqnr.toFixed(1)} dB** against the float model (MSE ${entry.mse.toExponential(2)})${low ? ` — below ${thresholdDb} dB` : ""}`;
}

/** The calibration section of a node-name hover. */
export function nodeCalibrationMarkdown(report: LoadedReport, node: string, thresholdDb: number): string | undefined {
  const groups = report.byNode.get(node) ?? [];
  const sqnr = report.sqnr.get(node);
  if (!groups.length && !sqnr) return undefined;
  const parts = [`---\n\n**Calibration** (${report.report.items} samples)`];
  if (sqnr) parts.push(sqnrMarkdown(sqnr, thresholdDb));
  parts.push(...groups.slice(0, MAX_GROUPS).map((g) => groupMarkdown(g, node)));
  if (groups.length > MAX_GROUPS) parts.push(`… and ${groups.length - MAX_GROUPS} more`);
  return parts.join("\n\n");
}

/** The calibration section of a hover on a spec or annotation line: the groups that spec defined. */
export function siteCalibrationMarkdown(report: LoadedReport, file: string, line: number, character: number, thresholdDb: number): string | undefined {
  const onLine = specsOnLine(report, file, line);
  const sqnrs = report.sqnrLocations.filter((s) => s.location.file === file && s.location.line === line);
  if (!onLine.length && !sqnrs.length) return undefined;
  const parts = [`---\n\n**Calibration** (${report.report.items} samples)`];
  if (onLine.length) {
    // Several constructors on one line: the one the cursor is on or right after.
    const columns = onLine.map((s) => s.location.column).sort((a, b) => a - b);
    const chosen = [...columns].reverse().find((c) => c <= character + 1) ?? columns[0]!;
    const groups = onLine.filter((s) => s.location.column === chosen).flatMap((s) => s.groups);
    parts.push(...groups.slice(0, MAX_GROUPS).map((g) => groupMarkdown(g)));
    if (groups.length > MAX_GROUPS) parts.push(`… and ${groups.length - MAX_GROUPS} more groups from this spec`);
  }
  if (sqnrs.length) {
    const worst = [...sqnrs].sort((a, b) => (a.entry.sqnr ?? Infinity) - (b.entry.sqnr ?? Infinity)).slice(0, 5);
    parts.push(`SQNR of the nodes annotated here:\n${worst.map((s) => `- \`${s.entry.node}\`: ${s.entry.sqnr === null ? "∞" : `${s.entry.sqnr.toFixed(1)} dB`}${s.entry.sqnr !== null && s.entry.sqnr < thresholdDb ? " ⚠️" : ""}`).join("\n")}`);
  }
  return parts.join("\n\n");
}
