import type { QuantDType } from "../quant-types.js";
import { ObserverError } from "./observer-error.js";

/** The integer limits of each quantized dtype (what a quantized value can hold, whatever quantMin/quantMax say). */
export function dtypeLimits(dtype: QuantDType): { min: number; max: number; bits: number } {
  switch (dtype) {
    case "int8":
      return { min: -128, max: 127, bits: 8 };
    case "uint8":
      return { min: 0, max: 255, bits: 8 };
    case "int16":
      return { min: -32768, max: 32767, bits: 16 };
    case "uint16":
      return { min: 0, max: 65535, bits: 16 };
    case "int32":
      return { min: -2147483648, max: 2147483647, bits: 32 };
  }
}

export interface QuantRange {
  quantMin: number;
  quantMax: number;
  /** Both ends were given explicitly (torch's `has_customized_qrange`): it changes the symmetric uint8 zero point. */
  customized: boolean;
}

/**
 * torch.ao.quantization.utils.calculate_qmin_qmax: the explicit range when both ends are given (halved, rounding
 * down, under reduceRange), otherwise the dtype's default 8-bit style range, with reduceRange dropping one bit.
 */
export function resolveQuantRange(
  observer: string,
  dtype: QuantDType,
  quantMin: number | undefined,
  quantMax: number | undefined,
  reduceRange: boolean,
): QuantRange {
  if (quantMin !== undefined && quantMax !== undefined) {
    if (!Number.isInteger(quantMin) || !Number.isInteger(quantMax)) {
      throw new ObserverError("invalid-range", observer, `quantMin/quantMax must be integers, got ${quantMin}/${quantMax}`);
    }
    if (!(quantMin <= 0 && 0 <= quantMax)) {
      throw new ObserverError("invalid-range", observer, `the quantization range [${quantMin}, ${quantMax}] must include 0`);
    }
    if (!(quantMin < quantMax)) {
      throw new ObserverError("invalid-range", observer, `quantMin (${quantMin}) must be less than quantMax (${quantMax})`);
    }
    const len = quantMax - quantMin + 1;
    const bits = dtypeLimits(dtype).bits;
    if (len > 2 ** bits) {
      throw new ObserverError("invalid-range", observer, `the range [${quantMin}, ${quantMax}] has ${len} values, more than ${dtype} holds (${2 ** bits})`);
    }
    return reduceRange
      ? { quantMin: Math.floor(quantMin / 2), quantMax: Math.floor(quantMax / 2), customized: true }
      : { quantMin, quantMax, customized: true };
  }
  const { min, max } = dtypeLimits(dtype);
  if (dtype === "int8" || dtype === "uint8") {
    // torch reduces only the 8-bit types: (-64, 63) and (0, 127), the vpmaddubsw-overflow-safe ranges.
    return reduceRange ? { quantMin: min / 2, quantMax: Math.floor(max / 2), customized: false } : { quantMin: min, quantMax: max, customized: false };
  }
  return { quantMin: min, quantMax: max, customized: false };
}
