import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { QkitError } from "../errors.js";
import { runCheck } from "../checker/check.js";
import type { Finding } from "../checker/finding.js";
import type { Quantizer } from "../quantizer/quantizer.js";
import { resolveSharing, type Slot } from "../quantizer/sharing.js";
import { isEdge } from "../quantizer/edge-or-node.js";
import type { DerivedQuantizationSpec, FixedQParamsQuantizationSpec, QuantizationSpec } from "../quantizer/specs.js";
import { formatLocation } from "../source-location.js";
import type { Observer, ObserverOptions } from "../observers/observer.js";
import type { ObserverClass } from "../observers/base.js";
import { FixedQParamsObserver } from "../observers/fixed-qparams.js";
import { isPerChannel } from "../quant-types.js";
import { tensorDims, tensorToFloat32 } from "../onnx/tensor-data.js";

/** prepare refused the quantizer: its check found errors. */
export class PrepareError extends QkitError {
  constructor(readonly findings: Finding[]) {
    const errors = findings.filter((f) => f.severity === "error");
    const first = errors[0]!;
    super("prepare-refused", `the quantizer has ${errors.length} error${errors.length === 1 ? "" : "s"} (first: ${formatLocation(first.location)} ${first.code}: ${first.message}); run qkit check for all of them`, { location: first.location, detail: `${first.code}: ${first.message}` });
  }
}

/** One observer and everything that shares it: the edges and nodes of one sharing group. */
export interface ObserverGroup {
  id: number;
  /** The spec that defines the group's qparams. */
  spec: QuantizationSpec | FixedQParamsQuantizationSpec;
  observer: Observer;
  slots: Slot[];
  /** The tensors the observer sees: the producers of the group's edges and the group's nodes. */
  values: Node[];
}

/** A derived spec and the slot it is attached to; its qparams are computed from other groups' observers at convert. */
export interface DerivedSlot {
  slot: Slot;
  spec: DerivedQuantizationSpec;
}

/** A model annotated and checked, with one observer per sharing group, ready for calibration. */
export interface PreparedModel {
  /** The annotated copy of the model (the caller's model is untouched). */
  model: Model;
  groups: ObserverGroup[];
  derived: DerivedSlot[];
  /** Slot key → group. */
  groupOfSlot: Map<string, ObserverGroup>;
  /** The checker's warnings and information. */
  findings: Finding[];
}

function observerOptions(spec: QuantizationSpec, cls: ObserverClass): ObserverOptions {
  const accepted = new Set(cls.acceptedOptions);
  const wanted: ObserverOptions = {
    dtype: spec.dtype,
    qscheme: spec.qscheme,
    quantMin: spec.quantMin,
    quantMax: spec.quantMax,
    // PT2E drops ch_axis for observers that are not per-channel (prepare.py); so does qkit.
    chAxis: spec.qscheme && isPerChannel(spec.qscheme) ? spec.chAxis ?? 0 : undefined,
  };
  const options: ObserverOptions = {};
  for (const [key, value] of Object.entries(wanted) as [keyof ObserverOptions, never][]) {
    if (value !== undefined && accepted.has(key)) options[key] = value;
  }
  return options;
}

function makeObserver(spec: QuantizationSpec | FixedQParamsQuantizationSpec): Observer {
  if (spec.kind === "fixed") {
    return new FixedQParamsObserver({ scale: spec.scale, zeroPoint: spec.zeroPoint, dtype: spec.dtype, qscheme: spec.qscheme, quantMin: spec.quantMin, quantMax: spec.quantMax });
  }
  const cls = spec.observer as unknown as ObserverClass;
  return new cls(observerOptions(spec, cls));
}

/**
 * Annotate and check the model (refusing on errors), resolve sharing, and give every group one observer. Parameters
 * (weights) are observed right away: they never change.
 */
export function prepare(model: Model, quantizer: Quantizer): PreparedModel {
  const checked = runCheck(model, quantizer);
  if (checked.findings.some((f) => f.severity === "error")) throw new PrepareError(checked.findings);
  const annotated = checked.model;
  const sharing = resolveSharing(annotated.graph);

  const groups: ObserverGroup[] = [];
  const groupOfSlot = new Map<string, ObserverGroup>();
  const derived: DerivedSlot[] = [];
  for (const members of sharing.groups.values()) {
    const spec = sharing.definingSpec(members[0]!.key);
    if (!spec) continue;
    if (spec.kind === "derived") {
      for (const slot of members) derived.push({ slot, spec });
      continue;
    }
    const values = [...new Set(members.map((s) => (isEdge(s.edgeOrNode) ? s.edgeOrNode[0] : s.edgeOrNode)))];
    const group: ObserverGroup = { id: groups.length, spec, observer: makeObserver(spec), slots: members, values };
    groups.push(group);
    for (const slot of members) groupOfSlot.set(slot.key, group);
  }
  for (const group of groups) observeParameters(group);
  return { model: annotated, groups, derived, groupOfSlot, findings: checked.findings };
}

function observeParameters(group: ObserverGroup): void {
  if (group.spec.kind === "fixed") return;
  for (const value of group.values) {
    if (value.kind !== "parameter") continue;
    group.observer.observe({ data: tensorToFloat32(value.tensor!), dims: tensorDims(value.tensor!) });
  }
}

/** The activations calibration must capture: every non-parameter value some observer sees. */
export function observedActivations(prepared: PreparedModel): Node[] {
  const values = new Set<Node>();
  for (const group of prepared.groups) {
    // Fixed qparams need no statistics, and dynamic ones are computed per batch when the quantized model runs.
    if (group.spec.kind === "fixed" || group.spec.isDynamic) continue;
    for (const v of group.values) if (v.kind !== "parameter") values.add(v);
  }
  return [...values];
}
