import type { QParams } from "../quant-types.js";
import { ObserverBase, type OptionName } from "./base.js";
import type { ObservedTensor, ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";

/**
 * PyTorch's PlaceholderObserver: records nothing and only carries its arguments (dtype, qscheme, range) to the
 * converter, e.g. for dynamic quantization or float16. Asking it for qparams is an error, as in torch.
 */
export class PlaceholderObserver extends ObserverBase {
  static override readonly observerName: string = "PlaceholderObserver";
  static override readonly acceptedOptions: readonly OptionName[] = ["dtype", "qscheme", "quantMin", "quantMax", "eps"];
  static override readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({});

  constructor(options?: ObserverOptions) {
    super(options);
  }

  observe(_tensor: ObservedTensor): void {}

  calculateQparams(): QParams {
    throw new ObserverError("no-qparams", this.observerName, "has no qparams to calculate (PyTorch refuses too); use an observer that records statistics");
  }

  protected saveState(): unknown {
    return {};
  }

  protected loadState(_state: unknown): void {}

  protected mergeState(_other: this): void {}
}
