import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import type { Model } from "../model.js";
import type { QuantizationAnnotation } from "../quantizer/annotation.js";
import type { SharingResolution, Slot } from "../quantizer/sharing.js";
import type { AnySpec } from "../quantizer/specs.js";
import type { Finding } from "./finding.js";

/** What every rule reads: the annotated graph and the sharing resolved from it. */
export interface CheckContext {
  model: Model;
  graph: Graph;
  /** Nodes carrying a QuantizationAnnotation, in graph order. */
  annotated: { node: Node; annotation: QuantizationAnnotation }[];
  sharing: SharingResolution;
  /** Each distinct spec object and the slots it was attached to. */
  uses: Map<AnySpec, Slot[]>;
}

export type Rule = (context: CheckContext) => Finding[];
