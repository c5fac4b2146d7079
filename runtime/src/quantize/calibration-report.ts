import { describeSlot } from "../quantizer/edge-or-node.js";
import { formatSite } from "../quantizer/source-site.js";
import { writeFileAtomic } from "../onnx/atomic-write.js";
import type { PreparedModel } from "./prepare.js";

/** One sharing group's calibration result, as the editor shows it. */
export interface GroupReport {
  /** Slot keys and their descriptions ("edge %a → %b", "output of %c"). */
  slots: { key: string; description: string; node: string }[];
  spec: { kind: string; dtype: string; qscheme?: string; quantMin?: number; quantMax?: number; site?: string };
  observer: string;
  scale: number[];
  zeroPoint: number[];
  axis?: number;
  /** What the observer saw, where it keeps it (min/max, per channel for per-channel observers). */
  state: unknown;
}

export interface CalibrationReport {
  format: "qkit-calibration-report";
  version: 1;
  model: string;
  items: number;
  groups: GroupReport[];
}

/** Per group: observer kind, qparams and the observer's statistics, so the editor can show them without re-running. */
export function calibrationReport(prepared: PreparedModel, items: number): CalibrationReport {
  return {
    format: "qkit-calibration-report",
    version: 1,
    model: prepared.model.source,
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
          ...(g.spec.site ? { site: formatSite(g.spec.site) } : {}),
        },
        observer: json.observer,
        scale: Array.from(qparams.scale),
        zeroPoint: Array.from(qparams.zeroPoint),
        ...(qparams.axis !== undefined ? { axis: qparams.axis } : {}),
        state: json.state,
      };
    }),
  };
}

export async function saveCalibrationReport(report: CalibrationReport, file: string): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(report, null, 1)}\n`)]);
}
