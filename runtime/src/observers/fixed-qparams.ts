import type { QParams, QScheme, QuantDType } from "../quant-types.js";
import { ObserverBase, type OptionName } from "./base.js";
import { fround } from "./float32.js";
import type { ObservedTensor, ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { dtypeLimits } from "./qrange.js";

/**
 * PyTorch's FixedQParamsObserver: qparams fixed up front (e.g. scale 1/256, zero point 0 for sigmoid's [0, 1)
 * output); observing changes nothing. Defaults as torch: uint8, per_tensor_affine; the range is the dtype's unless
 * given (torch's 0..255 is quint8's; an int8 spec with zero point -128, as TFLite and ONNX Runtime fix a Softmax's
 * output, needs -128..127).
 */
export class FixedQParamsObserver extends ObserverBase {
  static override readonly observerName: string = "FixedQParamsObserver";
  static override readonly acceptedOptions: readonly OptionName[] = ["scale", "zeroPoint", "dtype", "qscheme", "quantMin", "quantMax"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({
    dtype: "uint8",
    qscheme: "per_tensor_affine",
  });

  readonly scale: number;
  readonly zeroPoint: number;
  readonly dtype: QuantDType;
  readonly qscheme: QScheme;

  constructor(options?: ObserverOptions) {
    super(options);
    const { scale, zeroPoint } = this.options;
    if (scale === undefined || zeroPoint === undefined) {
      throw new ObserverError("invalid-option", this.observerName, "needs both `scale` and `zeroPoint` (e.g. withArgs({ scale: 1 / 256, zeroPoint: 0 }))");
    }
    if (!(scale > 0) || !Number.isFinite(scale)) throw new ObserverError("invalid-option", this.observerName, `scale must be a positive finite number, got ${scale}`);
    if (!Number.isInteger(zeroPoint)) throw new ObserverError("invalid-option", this.observerName, `zeroPoint must be an integer, got ${zeroPoint}`);
    // Without a range, the dtype's own (torch's 0..255 default is quint8's).
    const range = dtypeLimits(this.options.dtype ?? "uint8");
    const qmin = this.options.quantMin ?? range.min;
    const qmax = this.options.quantMax ?? range.max;
    if (zeroPoint < qmin || zeroPoint > qmax) {
      throw new ObserverError("invalid-option", this.observerName, `zeroPoint ${zeroPoint} is outside [${qmin}, ${qmax}]`);
    }
    this.scale = fround(scale);
    this.zeroPoint = zeroPoint;
    this.dtype = this.options.dtype ?? "uint8";
    this.qscheme = this.options.qscheme ?? "per_tensor_affine";
  }

  observe(_tensor: ObservedTensor): void {}

  calculateQparams(): QParams {
    return { scale: Float32Array.of(this.scale), zeroPoint: Int32Array.of(this.zeroPoint) };
  }

  protected saveState(): unknown {
    return {};
  }

  protected loadState(_state: unknown): void {}

  protected mergeState(_other: this): void {}
}
