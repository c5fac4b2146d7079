import type { QParams, QuantDType } from "../quant-types.js";
import { fround, roundHalfEven } from "./float32.js";
import { ObserverError } from "./observer-error.js";
import { dtypeLimits } from "./qrange.js";

export interface QuantizeOptions {
  dtype?: QuantDType;
  /** Clamp bounds; default to the dtype's limits (what QuantizeLinear saturates to). */
  quantMin?: number;
  quantMax?: number;
  /** The values' shape: needed for per-channel qparams (to find the channel of each value along qparams.axis). */
  dims?: readonly number[];
}

/**
 * Quantizes float32 values as ONNX QuantizeLinear defines it: clamp(roundHalfEven(x / scale) + zeroPoint), with
 * x / scale in float32. Per-channel qparams (more than one scale) need `dims` and use `qparams.axis` (default 1,
 * ONNX's default).
 *
 * PyTorch's quantize_per_tensor computes zeroPoint + nearbyint(x * (1 / scale)) instead: multiplying by the float32
 * reciprocal rounds differently from dividing, and where x / scale lands on (or within an ulp of) a .5 tie the two
 * can give integers one apart. `quantizeValuesTorch` gives torch's integers for comparison.
 */
export function quantizeValues(x: Float32Array, qparams: QParams, options: QuantizeOptions | QuantDType = {}): Int32Array {
  return quantizeWith(x, qparams, typeof options === "string" ? { dtype: options } : options, (v, s) => roundHalfEven(fround(v / s)));
}

/** PyTorch's (non-FBGEMM) rounding: nearbyint(x * float32(1 / scale)), half to even. See quantizeValues. */
export function quantizeValuesTorch(x: Float32Array, qparams: QParams, options: QuantizeOptions | QuantDType = {}): Int32Array {
  return quantizeWith(x, qparams, typeof options === "string" ? { dtype: options } : options, (v, s) => roundHalfEven(fround(v * fround(1 / s))));
}

function quantizeWith(x: Float32Array, q: QParams, o: QuantizeOptions, round: (v: number, scale: number) => number): Int32Array {
  const limits = dtypeLimits(o.dtype ?? "uint8");
  const qmin = o.quantMin ?? limits.min;
  const qmax = o.quantMax ?? limits.max;
  const out = new Int32Array(x.length);
  const channels = q.scale.length;
  if (q.zeroPoint.length !== channels) {
    throw new ObserverError("invalid-input", "quantizeValues", `${channels} scales but ${q.zeroPoint.length} zero points`);
  }
  let inner = x.length;
  if (channels > 1) {
    const dims = o.dims;
    if (!dims) throw new ObserverError("invalid-input", "quantizeValues", "per-channel qparams need the values' dims");
    const axis = (q.axis ?? 1) < 0 ? (q.axis ?? 1) + dims.length : (q.axis ?? 1);
    if (dims[axis] !== channels) {
      throw new ObserverError("invalid-input", "quantizeValues", `axis ${axis} of dims [${dims.join(", ")}] does not have ${channels} channels`);
    }
    inner = 1;
    for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  }
  for (let i = 0; i < x.length; i++) {
    const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
    const v = round(x[i]!, q.scale[c]!) + q.zeroPoint[c]!;
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}
