import type { Model } from "../model.js";
import { cloneModel } from "../model-clone.js";
import { annotationOf, type QuantizationAnnotation } from "../quantizer/annotation.js";
import type { Quantizer } from "../quantizer/quantizer.js";
import { collectSlots, resolveSharing, type Slot } from "../quantizer/sharing.js";
import type { AnySpec } from "../quantizer/specs.js";
import { userFrames, withCallChains } from "../quantizer/source-site.js";
import type { Node } from "../graph/node.js";
import { errorMessage } from "../errors.js";
import { finding, type Finding, type Severity } from "./finding.js";
import type { CheckContext, Rule } from "./context.js";
import { annotationStructure } from "./rules/annotation-structure.js";
import { specFields } from "./rules/spec-fields.js";
import { sharingConflicts, sharingStructure } from "./rules/sharing-rules.js";
import { derivedRules } from "./rules/derived-rules.js";
import { perChannelRules } from "./rules/per-channel-rules.js";
import { composableRules } from "./rules/composable-rules.js";
import { selectorRules } from "./rules/selector-rules.js";
import { valueDtypeRules } from "./rules/value-dtype-rules.js";
import { optionRules } from "./rules/option-rules.js";
import { opsetRules } from "./rules/opset-rules.js";
import { float16Rules } from "./rules/float16-rules.js";
import { computeCoverage, coverageFinding, type Coverage } from "./coverage.js";
import { groupBySite } from "./group-findings.js";
import { placeAtCallSite } from "./call-sites.js";

const RULES: Rule[] = [annotationStructure, specFields, optionRules, valueDtypeRules, sharingStructure, derivedRules, perChannelRules, sharingConflicts, opsetRules, float16Rules];

export interface CheckResult {
  findings: Finding[];
  coverage: Coverage;
  /** The annotated copy of the model the quantizer ran on. */
  model: Model;
}

export interface CheckOptions {
  /** Annotate the given model itself instead of a copy (default false: the caller's model is left as it was). */
  inPlace?: boolean;
  /** Called when annotate() (and validate()) returned, before the annotations are checked: where the time goes. */
  onAnnotated?: () => void;
}

function threw(stage: string, error: unknown): Finding {
  const site = userFrames(error instanceof Error ? error.stack : undefined)[0];
  const name = error instanceof Error ? error.name : "Error";
  return finding("quantizer-threw", `${stage} threw ${name}: ${errorMessage(error).split("\n")[0]}`, site);
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, information: 2 };

/**
 * Run the quantizer on (a copy of) the model and validate every annotation it made. Never throws for anything the
 * quantizer does: a quantizer that throws gives a finding at the throwing line, and what it annotated before that is
 * still checked.
 */
export function runCheck(model: Model, quantizer: Quantizer, options: CheckOptions = {}): CheckResult {
  let m = options.inPlace ? model : cloneModel(model);
  const findings: Finding[] = [];
  try {
    m = quantizer.transformForAnnotation(m) ?? m;
  } catch (error) {
    findings.push(threw("transformForAnnotation", error));
  }
  let returned: unknown = m;
  try {
    returned = withCallChains(() => quantizer.annotate(m));
  } catch (error) {
    findings.push(threw("annotate", error));
  }
  try {
    quantizer.validate(m);
  } catch (error) {
    findings.push(threw("validate", error));
  }
  options.onAnnotated?.();

  const annotated: { node: Node; annotation: QuantizationAnnotation }[] = [];
  for (const node of m.graph.nodes) {
    const annotation = annotationOf(node);
    if (annotation) annotated.push({ node, annotation });
  }
  const async = isThenable(returned);
  if (async) {
    // Its work after the first await would land after the check (and a rejection must not go unhandled).
    (returned as PromiseLike<unknown>).then(undefined, () => undefined);
    findings.push(finding("annotate-async", `${quantizer.constructor.name}.annotate is async (it returned a Promise); annotate must be synchronous, as PT2E's prepare calls it: remove async and await`, undefined));
  }
  if (returned === undefined && !findings.some((f) => f.code === "quantizer-threw")) {
    findings.push(finding("annotate-returned-nothing", `${quantizer.constructor.name}.annotate returned nothing; return the model it annotated (PT2E's prepare uses the returned model)`, undefined));
  }
  if (annotated.length === 0 && !async && !findings.some((f) => f.code === "quantizer-threw")) {
    findings.push(finding("nothing-annotated", `${quantizer.constructor.name} annotated no node of ${m.graph.name || "the graph"}, so nothing will be quantized; check the op types it matches against the model's (qkit inspect lists them)`, undefined));
  }

  const slots = collectSlots(m.graph);
  const uses = new Map<AnySpec, Slot[]>();
  for (const slot of slots.values()) {
    if (!uses.has(slot.spec)) uses.set(slot.spec, []);
    uses.get(slot.spec)!.push(slot);
  }
  const context: CheckContext = { model: m, graph: m.graph, annotated, sharing: resolveSharing(m.graph, slots), uses };
  for (const rule of RULES) {
    try {
      findings.push(...rule(context));
    } catch (error) {
      // A rule that meets something it cannot read (a hand-made spec, say) reports it rather than aborting the check.
      findings.push(finding("quantizer-threw", `checking the annotations failed: ${errorMessage(error)}`, undefined));
    }
  }
  findings.push(...composableRules(quantizer), ...selectorRules(quantizer));
  const coverage = computeCoverage(m.graph, m.opset() ?? 17);
  if (annotated.length > 0) findings.push(coverageFinding(coverage));

  const grouped = groupBySite(findings.map(placeAtCallSite));
  grouped.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.location?.line ?? 0) - (b.location?.line ?? 0));
  return { findings: grouped, coverage, model: m };
}

function isThenable(value: unknown): boolean {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

/** The findings of runCheck, for callers that need only them. */
export function check(model: Model, quantizer: Quantizer): Finding[] {
  return runCheck(model, quantizer).findings;
}
