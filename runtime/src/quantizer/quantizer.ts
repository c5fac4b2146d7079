import type { GraphModule } from "../model.js";
import type { Node } from "../graph/node.js";
import { QuantizationAnnotation } from "./annotation.js";
import { captureSite } from "./source-site.js";
import type { SourceLocation } from "../source-location.js";

/**
 * A backend's quantization recipe: `annotate` attaches QuantizationAnnotations to the nodes of the model's graph.
 * `transformForAnnotation` may rewrite the graph first; `validate` may reject what was annotated.
 */
export abstract class Quantizer {
  transformForAnnotation(model: GraphModule): GraphModule {
    return model;
  }

  abstract annotate(model: GraphModule): GraphModule;

  validate(_model: GraphModule): void {}
}

/**
 * A configuration call of a quantizer (`setModuleName("layer5", …)`) that selected no node of the graph it last
 * annotated: a misspelt name leaves those nodes to the global config without a word otherwise.
 */
export interface UnmatchedSelector {
  /** The call as written, e.g. `setModuleName("layer5", …)`. */
  call: string;
  /** What kind of name it takes, for the message ("module path"). */
  kind: string;
  /** The name as given. */
  name: string;
  site: SourceLocation | undefined;
  /** The closest names the graph has, nearest first. */
  meant: string[];
}

/** Quantizers configured by name (the built-ins) say which of their names matched nothing in the last annotate. */
export interface ReportsUnmatchedSelectors {
  readonly unmatchedSelectors: readonly UnmatchedSelector[];
}

export function reportsUnmatchedSelectors(q: Quantizer): q is Quantizer & ReportsUnmatchedSelectors {
  return Array.isArray((q as Partial<ReportsUnmatchedSelectors>).unmatchedSelectors);
}

/** An earlier quantizer's annotation that a later one replaced, changed or removed. */
export interface CompositionConflict {
  node: Node;
  earlier: { quantizer: string; site: SourceLocation | undefined };
  later: { quantizer: string; site: SourceLocation | undefined };
  change: "replaced" | "removed" | "changed";
}

function fingerprint(annotation: QuantizationAnnotation): string {
  const ids = new Map<unknown, number>();
  const id = (x: unknown) => (x === undefined ? "-" : ids.get(x) ?? (ids.set(x, ids.size), ids.size - 1));
  const inputs = [...annotation.inputQspecMap].map(([n, s]) => `${n.name}=${id(s)}`).join(",");
  return `${inputs}|${id(annotation.outputQspec)}|${annotation.allowImplicitSharing}`;
}

/**
 * Runs several quantizers in order, like PT2E's ComposableQuantizer. A later quantizer must not change what an earlier
 * one annotated; where one does, the conflict is recorded (the checker reports it, naming both) instead of raising.
 */
export class ComposableQuantizer extends Quantizer {
  readonly conflicts: CompositionConflict[] = [];
  readonly site = captureSite();

  constructor(readonly quantizers: Quantizer[]) {
    super();
  }

  override transformForAnnotation(model: GraphModule): GraphModule {
    for (const q of this.quantizers) model = q.transformForAnnotation(model) ?? model;
    return model;
  }

  override annotate(model: GraphModule): GraphModule {
    this.conflicts.length = 0;
    const owner = new Map<Node, { quantizer: string; annotation: QuantizationAnnotation; fingerprint: string }>();
    for (const quantizer of this.quantizers) {
      const name = quantizer.constructor.name;
      quantizer.annotate(model);
      for (const node of model.graph.nodes) {
        const current = node.meta.quantizationAnnotation;
        const before = owner.get(node);
        if (before) {
          const later = { quantizer: name, site: current instanceof QuantizationAnnotation ? current.site : undefined };
          const earlier = { quantizer: before.quantizer, site: before.annotation.site };
          if (!(current instanceof QuantizationAnnotation)) this.conflicts.push({ node, earlier, later: { ...later, site: undefined }, change: "removed" });
          else if (current !== before.annotation) this.conflicts.push({ node, earlier, later, change: "replaced" });
          else if (fingerprint(current) !== before.fingerprint) this.conflicts.push({ node, earlier, later: { ...later, site: undefined }, change: "changed" });
          if (current !== before.annotation || fingerprint(current as QuantizationAnnotation) !== before.fingerprint) {
            // Keep reporting against the first owner; the later quantizer's version stands in the graph.
            if (current instanceof QuantizationAnnotation) owner.set(node, { ...before, annotation: current, fingerprint: fingerprint(current) });
            else owner.delete(node);
          }
        } else if (current instanceof QuantizationAnnotation) {
          owner.set(node, { quantizer: name, annotation: current, fingerprint: fingerprint(current) });
        }
      }
    }
    return model;
  }

  override validate(model: GraphModule): void {
    for (const q of this.quantizers) q.validate(model);
  }
}
