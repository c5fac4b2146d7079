import type { QParams, QScheme, QuantDType } from "../quant-types.js";
import { isSymmetric } from "../quant-types.js";
import { fround, roundHalfEven } from "./float32.js";
import { ObserverError } from "./observer-error.js";
import type { QuantRange } from "./qrange.js";

export interface QparamsConfig extends QuantRange {
  observer: string;
  dtype: QuantDType;
  qscheme: QScheme;
  /** float32 value. */
  eps: number;
}

/**
 * PyTorch's UniformQuantizationObserverBase._calculate_qparams, one entry per (min, max) pair, in float32 as torch
 * computes it. The range is first widened to include 0; symmetric schemes use max(|min|, max) over half the
 * integer range; the scale never drops below eps; the affine zero point is quantMin - round(min / scale), clamped.
 * An observer that has seen nothing (min = +inf, max = -inf) gets torch's defaults, scale 1 and zero point 0.
 */
export function qparamsFromMinMax(min: ArrayLike<number>, max: ArrayLike<number>, cfg: QparamsConfig, axis?: number): QParams {
  const n = min.length;
  if (n === 0 || (n === 1 && min[0] === Infinity && max[0] === -Infinity)) {
    return withAxis({ scale: Float32Array.of(1), zeroPoint: Int32Array.of(0) }, axis);
  }
  for (let i = 0; i < n; i++) {
    // torch asserts min <= max, which NaN (propagated from the input by aminmax) fails.
    if (!(min[i]! <= max[i]!)) {
      const where = n > 1 ? ` in channel ${i}` : "";
      const nan = Number.isNaN(min[i]!) || Number.isNaN(max[i]!);
      throw new ObserverError(
        nan ? "non-finite" : "invalid-input",
        cfg.observer,
        nan
          ? `the observed values${where} contain NaN, so there is no range to quantize (torch fails the same way); remove NaN from the calibration data`
          : `min ${min[i]} is greater than max ${max[i]}${where}`,
      );
    }
  }
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  const { quantMin, quantMax, eps } = cfg;
  const symmetric = isSymmetric(cfg.qscheme);
  const symmetricZero = cfg.dtype === "uint8" || cfg.dtype === "uint16" ? unsignedSymmetricZero(cfg) : 0;
  for (let i = 0; i < n; i++) {
    const minNeg = Math.min(min[i]!, 0);
    const maxPos = Math.max(max[i]!, 0);
    if (symmetric) {
      const absMax = Math.max(-minNeg, maxPos);
      scale[i] = Math.max(fround(absMax / fround((quantMax - quantMin) / 2)), eps);
      zeroPoint[i] = symmetricZero;
    } else {
      const s = Math.max(fround(fround(maxPos - minNeg) / (quantMax - quantMin)), eps);
      scale[i] = s;
      const zp = quantMin - roundHalfEven(fround(minNeg / s));
      zeroPoint[i] = Math.min(Math.max(zp, quantMin), quantMax);
    }
  }
  return withAxis({ scale, zeroPoint }, axis);
}

function unsignedSymmetricZero(cfg: QparamsConfig): number {
  // torch: the down-rounded midpoint of an explicit range, else the dtype's fixed midpoint (128; 2^15 for uint16).
  if (cfg.customized) return Math.floor((cfg.quantMin + cfg.quantMax) / 2);
  return cfg.dtype === "uint8" ? 128 : 32768;
}

function withAxis(q: QParams, axis: number | undefined): QParams {
  return axis === undefined ? q : { ...q, axis };
}
