/** The PT2E annotation API, in TypeScript casing. */
export {
  QuantizationSpecBase, QuantizationSpec, FixedQParamsQuantizationSpec, SharedQuantizationSpec, DerivedQuantizationSpec,
  isSpec,
  type AnySpec, type RangedSpec, type QuantizationSpecFields, type FixedQParamsQuantizationSpecFields,
  type DerivedQuantizationSpecFields, type DerivedQParams, type ObserversFor,
} from "./specs.js";
export { QuantizationAnnotation, annotationOf, type QuantizationAnnotationFields } from "./annotation.js";
export { Quantizer, ComposableQuantizer, type CompositionConflict } from "./quantizer.js";
export { isEdge, slotKey, describeSlot, type Edge, type EdgeOrNode } from "./edge-or-node.js";
export { resolveSharing, collectSlots, slotProblem, differingFields, IMPLICIT_SHARING_FIELDS, type Slot, type SharingResolution } from "./sharing.js";
export { captureSite, userFrames } from "./source-site.js";
