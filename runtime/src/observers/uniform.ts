import type { QScheme, QuantDType } from "../quant-types.js";
import { QSCHEMES, QUANT_DTYPES, isPerChannel } from "../quant-types.js";
import { ObserverBase, type OptionName } from "./base.js";
import { FLOAT32_EPS, fround } from "./float32.js";
import type { ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { qparamsFromMinMax, type QparamsConfig } from "./qparams.js";
import { resolveQuantRange } from "./qrange.js";

/** The arguments every range-based observer takes (torch's UniformQuantizationObserverBase). */
export const UNIFORM_OPTIONS: readonly OptionName[] = ["dtype", "qscheme", "quantMin", "quantMax", "reduceRange", "eps"];

export const UNIFORM_DEFAULTS: Readonly<ObserverOptions> = Object.freeze({
  dtype: "uint8",
  qscheme: "per_tensor_affine",
  reduceRange: false,
  eps: FLOAT32_EPS,
});

/**
 * Base of the observers that turn a (min, max) range into qparams with PyTorch's formula. Resolves and checks
 * dtype, qscheme, the integer range and eps at construction, as torch's constructors do.
 */
export abstract class UniformObserver extends ObserverBase {
  readonly dtype: QuantDType;
  readonly qscheme: QScheme;
  readonly quantMin: number;
  readonly quantMax: number;
  /** float32, as torch stores it in a buffer. */
  readonly eps: number;
  protected readonly qparamsConfig: QparamsConfig;

  constructor(options: ObserverOptions | undefined, granularity: "per_tensor" | "per_channel", rejectReducedSymmetricU8: boolean) {
    super(options);
    const o = this.options;
    const name = this.observerName;
    const dtype = o.dtype ?? "uint8";
    const qscheme = o.qscheme ?? "per_tensor_affine";
    if (!QUANT_DTYPES.includes(dtype)) throw new ObserverError("unsupported-config", name, `unknown dtype ${JSON.stringify(dtype)} (use one of ${QUANT_DTYPES.join(", ")})`);
    if (!QSCHEMES.includes(qscheme)) throw new ObserverError("unsupported-qscheme", name, `unknown qscheme ${JSON.stringify(qscheme)}`);
    if (isPerChannel(qscheme) !== (granularity === "per_channel")) {
      const allowed = granularity === "per_channel" ? "per_channel_affine or per_channel_symmetric" : "per_tensor_affine or per_tensor_symmetric";
      throw new ObserverError("unsupported-qscheme", name, `qscheme ${qscheme} is not supported; it takes ${allowed}`);
    }
    const reduceRange = o.reduceRange ?? false;
    if (rejectReducedSymmetricU8 && reduceRange && dtype === "uint8" && (qscheme === "per_tensor_symmetric" || qscheme === "per_channel_symmetric")) {
      // torch raises NotImplementedError("Cannot reduce range for symmetric quantization for quint8").
      throw new ObserverError(
        "unsupported-config",
        name,
        `cannot reduce range for symmetric quantization of uint8 (PyTorch refuses it too); drop reduceRange, use int8, or an affine qscheme`,
      );
    }
    const eps = o.eps ?? FLOAT32_EPS;
    if (!(eps > 0)) throw new ObserverError("invalid-option", name, `eps must be positive, got ${eps}`);
    const range = resolveQuantRange(name, dtype, o.quantMin, o.quantMax, reduceRange);
    this.dtype = dtype;
    this.qscheme = qscheme;
    this.quantMin = range.quantMin;
    this.quantMax = range.quantMax;
    this.eps = fround(eps);
    this.qparamsConfig = { ...range, observer: name, dtype, qscheme, eps: this.eps };
  }

  protected qparamsFor(min: ArrayLike<number>, max: ArrayLike<number>, axis?: number) {
    return qparamsFromMinMax(min, max, this.qparamsConfig, axis);
  }
}
