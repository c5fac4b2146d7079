import * as path from "node:path";
import { existsSync } from "node:fs";
import { pointLocation, type SourceLocation } from "../source-location.js";
import { QUANT_DTYPES, type QuantDType } from "../quant-types.js";
import { dtypeLimits } from "../observers/qrange.js";
import type { CalibrationReport, GroupReport, NodeSqnrReport, QuantRangeReport } from "./calibration-report.js";

/** Version 1, as qkit wrote it: sites as `file:line:column` text, no resolved range. */
interface V1Report {
  format: "qkit-calibration-report";
  version: 1;
  model: string;
  items: number;
  groups: (Omit<GroupReport, "spec" | "range"> & { spec: Omit<GroupReport["spec"], "location"> & { site?: string } })[];
  sqnr?: (Omit<NodeSqnrReport, "location"> & { site?: string })[];
}

/**
 * A version-1 site, `file:line:column`: the one place qkit reads a location back from text, because version 1 stored
 * nothing else. The file may itself hold colons, so the numbers are taken from the end. Relative files resolve
 * against the first root under which they exist (the report's folder for the editor's reports, the folder
 * `qkit quantize` ran in for the CLI's), else the first root.
 */
function v1Location(text: string, roots: string[]): SourceLocation | undefined {
  const columnAt = text.lastIndexOf(":");
  const lineAt = text.lastIndexOf(":", columnAt - 1);
  const line = Number(text.slice(lineAt + 1, columnAt));
  const column = Number(text.slice(columnAt + 1));
  if (lineAt <= 0 || !Number.isInteger(line) || !Number.isInteger(column) || line < 1 || column < 1) return undefined;
  const file = text.slice(0, lineAt);
  const candidates = roots.map((root) => path.resolve(root, file));
  return pointLocation(candidates.find((f) => existsSync(f)) ?? candidates[0]!, line, column);
}

/** What version 1 left to readers: an explicit range as written, else the dtype's. */
function v1Range(spec: { dtype: string; quantMin?: number; quantMax?: number }): QuantRangeReport {
  const dtype = (QUANT_DTYPES as readonly string[]).includes(spec.dtype) ? (spec.dtype as QuantDType) : "int8";
  const limits = dtypeLimits(dtype);
  return { dtype, quantMin: spec.quantMin ?? limits.min, quantMax: spec.quantMax ?? limits.max };
}

/** A version-1 report as version 2 in memory: absolute locations, every group with its range. */
export function upgradeV1Report(v1: V1Report, reportDir: string, extraRoots: string[]): CalibrationReport {
  const roots = [reportDir, ...extraRoots];
  const model = v1.model.startsWith("<") ? v1.model : path.resolve(reportDir, v1.model);
  return {
    format: "qkit-calibration-report",
    version: 2,
    model,
    items: v1.items,
    groups: v1.groups.map(({ spec: { site, ...spec }, ...g }) => {
      const location = site ? v1Location(site, roots) : undefined;
      return { ...g, spec: { ...spec, ...(location ? { location } : {}) }, range: v1Range(spec) };
    }),
    ...(v1.sqnr
      ? {
          sqnr: v1.sqnr.map(({ site, ...entry }) => {
            const location = site ? v1Location(site, roots) : undefined;
            return { ...entry, ...(location ? { location } : {}) };
          }),
        }
      : {}),
  };
}
