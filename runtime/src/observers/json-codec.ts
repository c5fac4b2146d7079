import { ObserverError } from "./observer-error.js";

/** JSON has no ±Infinity or NaN; observer state holds them (an empty observer's range is +inf..-inf). */
export type JsonFloat = number | "Infinity" | "-Infinity" | "NaN";

export function encodeFloat(x: number): JsonFloat {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
}

export function encodeFloats(xs: ArrayLike<number>): JsonFloat[] {
  return Array.from(xs, encodeFloat);
}

export function decodeFloat(observer: string, x: unknown, what: string): number {
  if (typeof x === "number") return x;
  if (x === "Infinity") return Infinity;
  if (x === "-Infinity") return -Infinity;
  if (x === "NaN") return NaN;
  throw new ObserverError("invalid-json", observer, `${what} must be a number, got ${JSON.stringify(x)}`);
}

export function decodeFloat32Array(observer: string, x: unknown, what: string, length?: number): Float32Array {
  if (!Array.isArray(x)) throw new ObserverError("invalid-json", observer, `${what} must be an array of numbers`);
  if (length !== undefined && x.length !== length) {
    throw new ObserverError("invalid-json", observer, `${what} has ${x.length} entries, expected ${length}`);
  }
  return Float32Array.from(x, (v, i) => decodeFloat(observer, v, `${what}[${i}]`));
}

export function stateObject(observer: string, state: unknown): Record<string, unknown> {
  if (typeof state !== "object" || state === null || Array.isArray(state)) {
    throw new ObserverError("invalid-json", observer, "the saved state must be an object");
  }
  return state as Record<string, unknown>;
}
