import { QkitError } from "../errors.js";

/** Something the engine refuses to run; always raised while planning, before any operator has run. */
export class EngineError extends QkitError {}

/** A node whose operator (or operator variant) the engine does not implement. */
export class UnsupportedOperatorError extends EngineError {
  constructor(readonly nodeName: string, readonly opType: string, detail?: string) {
    super("unsupported-op", `node '${nodeName}': ${opType} ${detail ?? "is not supported by the qkit engine"}`);
  }
}

/**
 * An operator variant that needs the value of an input computed at run time while planning (a Reshape to a shape
 * computed from data): the plan ends before the node and plans the rest once the value is known (plan.ts).
 */
export class ValueNeededError extends UnsupportedOperatorError {}

/** A session input that is missing, unexpected, or has the wrong element type or shape. */
export class InputMismatchError extends EngineError {
  constructor(readonly inputName: string, message: string) {
    super("input-mismatch", `input '${inputName}': ${message}`);
  }
}

/** A node whose inputs do not fit its operator (shapes, element types, attribute values). */
export class NodeShapeError extends EngineError {
  constructor(readonly nodeName: string, readonly opType: string, message: string) {
    super("bad-node", `node '${nodeName}' (${opType}): ${message}`);
  }
}

/** A model input or output of a kind the engine does not run (a sequence, a map, an unsupported element type). */
export class UnsupportedTypeError extends EngineError {
  constructor(readonly valueName: string, detail: string) {
    super("unsupported-type", `value '${valueName}' ${detail}`);
  }
}
