import * as path from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import type { CalibrationReport, GroupReport, ResolvedTarget } from "qkit/tooling";
import type { NodeSqnr } from "./calibration-messages.js";

/** A saved calibration report, indexed the ways the editor asks: by node name and by the line that made a spec. */
export interface LoadedReport {
  file: string;
  report: CalibrationReport;
  /** Groups by the node owning one of their slots. */
  byNode: Map<string, GroupReport[]>;
  /** Groups by the absolute `file:line:column` of the spec that defined them. */
  bySite: Map<string, GroupReport[]>;
  sqnr: Map<string, NodeSqnr>;
  /** The absolute annotating site of each node the debugger compared. */
  sqnrSites: { entry: NodeSqnr; file: string; line: number; column: number }[];
}

/** Where a target's quantized model goes: qkit.json's `output`, else MODEL.int8.onnx beside the model. */
export function outputPathFor(target: ResolvedTarget): string {
  return target.outputPath ?? path.join(path.dirname(target.modelPath), `${path.basename(target.modelPath, ".onnx")}.int8.onnx`);
}

/** The report sits beside the model, as `qkit quantize` writes it. */
export function reportPathFor(output: string): string {
  return `${output}.calibration.json`;
}

/**
 * `file:line:column` from a report. The server writes paths relative to the report; `qkit quantize` writes them
 * relative to where it ran, usually the workspace root: the first base under which the file exists wins.
 */
export function parseSite(text: string, bases: string[]): { file: string; line: number; column: number } | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(text);
  if (!match) return undefined;
  const candidates = bases.map((b) => path.resolve(b, match[1]!));
  return { file: candidates.find((f) => existsSync(f)) ?? candidates[0]!, line: Number(match[2]), column: Number(match[3]) };
}

export const siteKey = (site: { file: string; line: number; column: number }) => `${site.file}:${site.line}:${site.column}`;

function index(file: string, report: CalibrationReport & { sqnr?: NodeSqnr[] }, root: string): LoadedReport {
  const base = [path.dirname(file), root];
  const byNode = new Map<string, GroupReport[]>();
  const bySite = new Map<string, GroupReport[]>();
  const push = <K>(map: Map<K, GroupReport[]>, key: K, g: GroupReport) => {
    const list = map.get(key) ?? [];
    if (!list.includes(g)) list.push(g);
    map.set(key, list);
  };
  for (const g of report.groups) {
    for (const slot of g.slots) push(byNode, slot.node, g);
    const site = g.spec.site ? parseSite(g.spec.site, base) : undefined;
    if (site) push(bySite, siteKey(site), g);
  }
  const entries = report.sqnr ?? [];
  const sqnrSites = entries.flatMap((entry) => {
    const site = entry.site ? parseSite(entry.site, base) : undefined;
    return site ? [{ entry, ...site }] : [];
  });
  return { file, report, byNode, bySite, sqnr: new Map(entries.map((e) => [e.node, e])), sqnrSites };
}

/** Saved reports, re-read when the file on disk changes (a CLI run, a new calibration). */
export class CalibrationStore {
  readonly #cache = new Map<string, { mtimeMs: number; loaded: LoadedReport | undefined }>();

  constructor(private readonly root: string) {}

  load(target: ResolvedTarget): LoadedReport | undefined {
    const file = reportPathFor(outputPathFor(target));
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      this.#cache.delete(file);
      return undefined;
    }
    const cached = this.#cache.get(file);
    if (cached && cached.mtimeMs === mtimeMs) return cached.loaded;
    let loaded: LoadedReport | undefined;
    try {
      const json = JSON.parse(readFileSync(file, "utf8")) as CalibrationReport & { sqnr?: NodeSqnr[] };
      loaded = json.format === "qkit-calibration-report" && Array.isArray(json.groups) ? index(file, json, this.root) : undefined;
    } catch {
      loaded = undefined;
    }
    this.#cache.set(file, { mtimeMs, loaded });
    return loaded;
  }
}
