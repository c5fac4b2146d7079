import * as path from "node:path";
import { statSync } from "node:fs";
import { readCalibrationReport, reportPathFor, type CalibrationReport, type GroupReport, type NodeSqnrReport, type ResolvedTarget, type SourceLocation } from "qkit/tooling";

/** The groups one spec defined, and where the quantizer created it. */
export interface SpecCalibration {
  location: SourceLocation;
  groups: GroupReport[];
}

/** A saved calibration report, indexed the ways the editor asks: by node name and by the line that made a spec. */
export interface LoadedReport {
  file: string;
  /** Locations absolute, as readCalibrationReport gives them. */
  report: CalibrationReport;
  /** Groups by the node owning one of their slots. */
  byNode: Map<string, GroupReport[]>;
  /** Specs by the file, then the line, that created them. */
  specs: Map<string, Map<number, SpecCalibration[]>>;
  sqnr: Map<string, NodeSqnrReport>;
  /** Each node the debugger compared, with the line that annotated it. */
  sqnrLocations: { entry: NodeSqnrReport; location: SourceLocation }[];
}

/** The specs created on one line of a file. */
export function specsOnLine(report: LoadedReport, file: string, line: number): SpecCalibration[] {
  return report.specs.get(file)?.get(line) ?? [];
}

/** Whether the report has anything to say about a file (a spec created or a node annotated there). */
export function reportMentions(report: LoadedReport, file: string): boolean {
  return report.specs.has(file) || report.sqnrLocations.some((s) => s.location.file === file);
}

/** Where a target's quantized model goes: qkit.json's `output`, else MODEL.int8.onnx beside the model. */
export function outputPathFor(target: ResolvedTarget): string {
  return target.outputPath ?? path.join(path.dirname(target.modelPath), `${path.basename(target.modelPath, ".onnx")}.int8.onnx`);
}

function index(file: string, report: CalibrationReport): LoadedReport {
  const byNode = new Map<string, GroupReport[]>();
  const specs = new Map<string, Map<number, SpecCalibration[]>>();
  for (const g of report.groups) {
    for (const slot of g.slots) {
      const list = byNode.get(slot.node) ?? [];
      if (!list.includes(g)) list.push(g);
      byNode.set(slot.node, list);
    }
    const at = g.spec.location;
    if (!at) continue;
    const lines = specs.get(at.file) ?? new Map<number, SpecCalibration[]>();
    specs.set(at.file, lines);
    const onLine = lines.get(at.line) ?? [];
    lines.set(at.line, onLine);
    const same = onLine.find((s) => s.location.column === at.column);
    if (same) same.groups.push(g);
    else onLine.push({ location: at, groups: [g] });
  }
  const entries = report.sqnr ?? [];
  const sqnrLocations = entries.flatMap((entry) => (entry.location ? [{ entry, location: entry.location }] : []));
  return { file, report, byNode, specs, sqnr: new Map(entries.map((e) => [e.node, e])), sqnrLocations };
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
      // Version-1 reports written by `qkit quantize` hold sites relative to where it ran: the workspace root, usually.
      loaded = index(file, readCalibrationReport(file, { v1Roots: [this.root] }));
    } catch {
      loaded = undefined;
    }
    this.#cache.set(file, { mtimeMs, loaded });
    return loaded;
  }
}
