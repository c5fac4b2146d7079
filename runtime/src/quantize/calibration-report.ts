import * as path from "node:path";
import { readFileSync } from "node:fs";
import { describeSlot } from "../quantizer/edge-or-node.js";
import { fsPromises } from "../lazy-builtins.js";
import { commitTempFile, removeStaleTempFiles, writeFileAtomic, writeTempFile } from "../onnx/atomic-write.js";
import { QkitError } from "../errors.js";
import { absoluteLocation, relativeLocation, type SourceLocation } from "../source-location.js";
import type { QuantDType } from "../quant-types.js";
import { UniformObserver } from "../observers/uniform.js";
import { dtypeLimits, resolveQuantRange } from "../observers/qrange.js";
import type { ObserverGroup, PreparedModel } from "./prepare.js";
import { upgradeV1Report } from "./calibration-report-v1.js";

/** The integer range a group's qparams were computed for, as its spec and observer resolved it. */
export interface QuantRangeReport {
  dtype: QuantDType;
  quantMin: number;
  quantMax: number;
}

/** One sharing group's calibration result, as the editor shows it. */
export interface GroupReport {
  /** Slot keys and their descriptions ("edge %a → %b", "output of %c"). */
  slots: { key: string; description: string; node: string }[];
  /** The spec as the quantizer wrote it (quantMin/quantMax only where it gave them), and the line that created it. */
  spec: { kind: string; dtype: string; qscheme?: string; quantMin?: number; quantMax?: number; location?: SourceLocation };
  /** The resolved range (a dtype's default, reduceRange applied): readers take it from here, never recompute it. */
  range: QuantRangeReport;
  observer: string;
  scale: number[];
  zeroPoint: number[];
  axis?: number;
  /** What the observer saw, where it keeps it (min/max, per channel for per-channel observers). */
  state: unknown;
}

/** How far one node's quantized output drifted from the float one (the numeric debugger's result). */
export interface NodeSqnrReport {
  node: string;
  opType: string;
  /** null for identical outputs (JSON has no Infinity). */
  sqnr: number | null;
  mse: number;
  /** The line that annotated the node. */
  location?: SourceLocation;
}

/**
 * `OUT.onnx.calibration.json`. In memory every path is absolute; the file stores the model and every location's
 * file relative to the report's own folder (see saveCalibrationReport), so a report moved with its folder still
 * points at the quantizer, whoever wrote it and wherever it ran.
 */
export interface CalibrationReport {
  format: "qkit-calibration-report";
  version: 2;
  model: string;
  items: number;
  groups: GroupReport[];
  /** Per node, when the numeric debugger ran after calibration (the editor's Run calibration does). */
  sqnr?: NodeSqnrReport[];
}

/** A calibration report that cannot be read. */
export class CalibrationReportError extends QkitError {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super("bad-calibration-report", `${file}: ${message}`, { ...options, detail: message });
  }
}

function resolvedRange(group: ObserverGroup): QuantRangeReport {
  const o = group.observer;
  if (o instanceof UniformObserver) return { dtype: o.dtype, quantMin: o.quantMin, quantMax: o.quantMax };
  const { dtype, quantMin, quantMax } = group.spec;
  try {
    const range = resolveQuantRange("report", dtype, quantMin, quantMax, false);
    return { dtype, quantMin: range.quantMin, quantMax: range.quantMax };
  } catch {
    // A range prepare let through but the resolver refuses: the dtype's, which is what QuantizeLinear saturates to.
    const limits = dtypeLimits(dtype);
    return { dtype, quantMin: limits.min, quantMax: limits.max };
  }
}

const isFilePath = (source: string) => !source.startsWith("<");

export interface CalibrationReportOptions {
  /** The numeric debugger's per-node results (compareNodes), stored as `sqnr`. */
  accuracy?: { node: string; opType: string; sqnr: number; mse: number; site?: SourceLocation | undefined }[];
}

/** Per group: observer kind, qparams, the resolved range and the observer's statistics, so readers never re-run. */
export function calibrationReport(prepared: PreparedModel, items: number, options: CalibrationReportOptions = {}): CalibrationReport {
  const source = prepared.model.source;
  return {
    format: "qkit-calibration-report",
    version: 2,
    model: isFilePath(source) ? path.resolve(source) : source,
    items,
    groups: prepared.groups.map((g) => {
      let qparams: { scale: Float32Array; zeroPoint: Int32Array; axis?: number } = { scale: new Float32Array(0), zeroPoint: new Int32Array(0) };
      try {
        qparams = g.observer.calculateQparams();
      } catch {
        // An observer that saw nothing has no qparams; the report says so with empty arrays.
      }
      const json = g.observer.toJSON() as { observer: string; state: unknown };
      return {
        slots: g.slots.map((s) => ({ key: s.key, description: describeSlot(s.edgeOrNode), node: s.owner.name })),
        spec: {
          kind: g.spec.kind,
          dtype: g.spec.dtype,
          ...(g.spec.qscheme ? { qscheme: g.spec.qscheme } : {}),
          ...(g.spec.quantMin !== undefined ? { quantMin: g.spec.quantMin } : {}),
          ...(g.spec.quantMax !== undefined ? { quantMax: g.spec.quantMax } : {}),
          ...(g.spec.site ? { location: g.spec.site } : {}),
        },
        range: resolvedRange(g),
        observer: json.observer,
        scale: Array.from(qparams.scale),
        zeroPoint: Array.from(qparams.zeroPoint),
        ...(qparams.axis !== undefined ? { axis: qparams.axis } : {}),
        state: json.state,
      };
    }),
    ...(options.accuracy
      ? {
          sqnr: options.accuracy.map((a) => ({
            node: a.node,
            opType: a.opType,
            sqnr: Number.isFinite(a.sqnr) ? a.sqnr : null,
            mse: a.mse,
            ...(a.site ? { location: a.site } : {}),
          })),
        }
      : {}),
  };
}

/** The report with every path moved onto another root: made relative to it (`relativeLocation`) or absolute. */
function mapPaths(report: CalibrationReport, location: (l: SourceLocation) => SourceLocation, model: (m: string) => string): CalibrationReport {
  return {
    ...report,
    model: isFilePath(report.model) ? model(report.model) : report.model,
    groups: report.groups.map((g) => (g.spec.location ? { ...g, spec: { ...g.spec, location: location(g.spec.location) } } : g)),
    ...(report.sqnr ? { sqnr: report.sqnr.map((e) => (e.location ? { ...e, location: location(e.location) } : e)) } : {}),
  };
}

/** Write the report atomically, its paths relative to the folder it is written to. */
export async function saveCalibrationReport(report: CalibrationReport, file: string): Promise<void> {
  await writeFileAtomic(file, [reportBytes(report, file)]);
}

/**
 * Write the report to a temp file beside `file` and return the function that moves it into place, for a caller that
 * commits it together with the model it describes (see WriteOptions.beforeCommit); `discard` removes the temp file.
 */
export async function stageCalibrationReport(report: CalibrationReport, file: string): Promise<{ commit(): Promise<void>; discard(): Promise<void> }> {
  await removeStaleTempFiles(file);
  const temp = await writeTempFile(file, [reportBytes(report, file)]);
  return { commit: () => commitTempFile(temp, file), discard: () => fsPromises().rm(temp, { force: true }) };
}

function reportBytes(report: CalibrationReport, file: string): Uint8Array {
  const root = path.dirname(path.resolve(file));
  const stored = mapPaths(report, (l) => relativeLocation(l, root), (m) => (path.isAbsolute(m) ? path.relative(root, m).split(path.sep).join("/") : m));
  return Buffer.from(`${JSON.stringify(stored, null, 1)}\n`);
}

export interface ReadCalibrationReportOptions {
  /**
   * Folders a version-1 report's sites may be relative to besides the report's own: `qkit quantize` wrote them
   * relative to where it ran (usually the workspace root). The first under which the file exists wins.
   */
  v1Roots?: string[];
}

/** A report as JSON.parse gave it (version 1 or 2), in memory: version 2 with absolute paths. */
export function calibrationReportFromJSON(json: unknown, file: string, options: ReadCalibrationReportOptions = {}): CalibrationReport {
  const root = path.dirname(path.resolve(file));
  const r = json as Omit<Partial<CalibrationReport>, "version"> & { version?: unknown };
  if (typeof json !== "object" || json === null || r.format !== "qkit-calibration-report" || !Array.isArray(r.groups)) {
    throw new CalibrationReportError(file, "is not a qkit calibration report (no format \"qkit-calibration-report\" with groups)");
  }
  if (r.version === 1) return upgradeV1Report(json as never, root, options.v1Roots ?? []);
  if (r.version !== 2) throw new CalibrationReportError(file, `has format version ${JSON.stringify(r.version)}; this qkit reads versions 1 and 2, so update qkit`);
  return mapPaths(r as unknown as CalibrationReport, (l) => absoluteLocation(l, root), (m) => path.resolve(root, m));
}

export function readCalibrationReport(file: string, options: ReadCalibrationReportOptions = {}): CalibrationReport {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CalibrationReportError(file, `cannot be read as JSON (${(error as Error).message})`, { cause: error });
  }
  return calibrationReportFromJSON(json, file, options);
}
