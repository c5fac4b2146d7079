import type { Node } from "../graph/node.js";
import type { QuantizationSpecBase } from "./specs.js";
import { captureSite } from "./source-site.js";
import type { SourceLocation } from "../source-location.js";
import { unknownOptions } from "./options.js";

export const ANNOTATION_OPTIONS = ["inputQspecMap", "outputQspec", "allowImplicitSharing", "annotated"] as const;

export interface QuantizationAnnotationFields {
  /** Spec per input, keyed by the input node (the edge input → annotated node). A Map, or [node, spec] pairs. */
  inputQspecMap?: Map<Node, QuantizationSpecBase> | Iterable<readonly [Node, QuantizationSpecBase]>;
  /** Spec of the annotated node's output. */
  outputQspec?: QuantizationSpecBase;
  /** Let prepare share an observer between this node's inputs and their producers when the specs agree (default true). */
  allowImplicitSharing?: boolean;
  /** PT2E's `_annotated`: a later pattern should leave this node alone. */
  annotated?: boolean;
}

/** How a node's inputs and output are quantized; stored in `node.meta.quantizationAnnotation`. */
export class QuantizationAnnotation {
  readonly inputQspecMap: Map<Node, QuantizationSpecBase>;
  outputQspec: QuantizationSpecBase | undefined;
  allowImplicitSharing: boolean;
  annotated: boolean;
  /** Where the annotation was created. */
  readonly site: SourceLocation | undefined = captureSite();
  /**
   * For a built-in quantizer's annotation, the rule that made it, as a user would set it:
   * `XnnpackQuantizer: setOperatorType("Conv", …), Conv`. Tools show it instead of a line (the line that made a
   * built-in's annotation is inside qkit, or at most the caller of prepare).
   */
  rule: string | undefined;
  /** Options it was given that it does not have (ignored; the checker reports them). */
  readonly unknownOptions: readonly string[];

  constructor(fields: QuantizationAnnotationFields = {}) {
    this.unknownOptions = unknownOptions(fields, ANNOTATION_OPTIONS);
    this.inputQspecMap = new Map(fields.inputQspecMap ?? []);
    this.outputQspec = fields.outputQspec;
    this.allowImplicitSharing = fields.allowImplicitSharing ?? true;
    this.annotated = fields.annotated ?? false;
  }
}

/** The annotation a node carries, if it is one. */
export function annotationOf(node: Node): QuantizationAnnotation | undefined {
  const a = node.meta.quantizationAnnotation;
  return a instanceof QuantizationAnnotation ? a : undefined;
}
