import { promises as fs } from "node:fs";
import { QkitError } from "../errors.js";
import { writeFileAtomic } from "../onnx/atomic-write.js";
import { observerFromJSON } from "../observers/from-json.js";
import type { ObserverJSON } from "../observers/observer.js";
import type { PreparedModel } from "./prepare.js";

/**
 * What calibration learned, as JSON: each group's observer state keyed by the group's slots. Shards calibrated on
 * different machines (`qkit calibrate --shard K/N --save-state`) merge into one (`qkit merge-calibration`), and a
 * prepared model loads the merged state before convert.
 */
export interface CalibrationState {
  format: "qkit-calibration-state";
  version: 1;
  /** The model's graph name and node count, to refuse a state made for another model. */
  model: { name: string; nodes: number };
  /** Items observed in total. */
  items: number;
  groups: { slots: string[]; observer: ObserverJSON }[];
}

export class CalibrationStateError extends QkitError {
  constructor(file: string, message: string) {
    super("calibration-state", `${file}: ${message}`);
  }
}

function modelKey(prepared: PreparedModel) {
  return { name: prepared.model.graph.name, nodes: prepared.model.graph.size };
}

export function calibrationState(prepared: PreparedModel, items: number): CalibrationState {
  return {
    format: "qkit-calibration-state",
    version: 1,
    model: modelKey(prepared),
    items,
    groups: prepared.groups.map((g) => ({ slots: g.slots.map((s) => s.key).sort(), observer: g.observer.toJSON() as ObserverJSON })),
  };
}

export async function saveCalibrationState(state: CalibrationState, file: string): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(state)}\n`)]);
}

export async function readCalibrationState(file: string): Promise<CalibrationState> {
  let parsed: CalibrationState;
  try {
    parsed = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (error) {
    throw new CalibrationStateError(file, `cannot be read as a calibration state (${(error as Error).message})`);
  }
  if (parsed?.format !== "qkit-calibration-state" || parsed.version !== 1) throw new CalibrationStateError(file, "is not a qkit calibration state (version 1)");
  return parsed;
}

/** Merge shard states of the same model and quantizer; observers merge as documented per kind. */
export function mergeCalibrationStates(states: { file: string; state: CalibrationState }[]): CalibrationState {
  const [first, ...rest] = states;
  if (!first) throw new QkitError("calibration-state", "merge-calibration needs at least one state file");
  const signature = (s: CalibrationState) => s.groups.map((g) => g.slots.join(",")).join("|");
  const merged = first.state.groups.map((g) => observerFromJSON(g.observer));
  let items = first.state.items;
  for (const { file, state } of rest) {
    if (state.model.name !== first.state.model.name || state.model.nodes !== first.state.model.nodes || signature(state) !== signature(first.state)) {
      throw new CalibrationStateError(file, `was made for another model or quantizer than ${first.file}; merge only shards of one calibration`);
    }
    state.groups.forEach((g, i) => merged[i]!.merge(observerFromJSON(g.observer)));
    items += state.items;
  }
  return { ...first.state, items, groups: first.state.groups.map((g, i) => ({ slots: g.slots, observer: merged[i]!.toJSON() as ObserverJSON })) };
}

/** Replace the prepared model's observers with those of a saved state. */
export function loadCalibrationState(prepared: PreparedModel, state: CalibrationState, file: string): void {
  const key = modelKey(prepared);
  if (state.model.name !== key.name || state.model.nodes !== key.nodes) {
    throw new CalibrationStateError(file, `was made for model '${state.model.name}' (${state.model.nodes} nodes), not this one ('${key.name}', ${key.nodes} nodes)`);
  }
  const bySlots = new Map(state.groups.map((g) => [g.slots.join(","), g]));
  for (const group of prepared.groups) {
    const saved = bySlots.get(group.slots.map((s) => s.key).sort().join(","));
    if (!saved) throw new CalibrationStateError(file, `has no observer for the group of ${group.slots[0]!.key}; it was made with another quantizer`);
    group.observer = observerFromJSON(saved.observer);
  }
}
