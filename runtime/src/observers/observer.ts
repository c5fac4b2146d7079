import type { QParams, QScheme, QuantDType } from "../quant-types.js";

/** PyTorch's observer arguments, in TypeScript casing. Every observer takes the subset that applies to it. */
export interface ObserverOptions {
  dtype?: QuantDType;
  qscheme?: QScheme;
  quantMin?: number;
  quantMax?: number;
  reduceRange?: boolean;
  eps?: number;
  chAxis?: number;
  averagingConstant?: number;
  bins?: number;
  /** EntropyObserver: how many bins the candidate quantized distribution has (ONNX Runtime's num_quantized_bins). */
  numQuantizedBins?: number;
  /** PercentileObserver. */
  percentile?: number;
  /** FixedQParamsObserver. */
  scale?: number;
  zeroPoint?: number;
}

/** A tensor as observers see it: values in row-major order and the shape they have. */
export interface ObservedTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Records statistics of the tensors it sees and turns them into quantization parameters. */
export interface Observer {
  readonly options: Readonly<ObserverOptions>;
  observe(tensor: ObservedTensor): void;
  calculateQparams(): QParams;
  /** Fold another observer's statistics (same kind and options) into this one. */
  merge(other: Observer): void;
  toJSON(): unknown;
}

/** What `Observer.toJSON()` returns: enough to rebuild the observer and its statistics (see observerFromJSON). */
export interface ObserverJSON {
  /** The class's observerName. */
  observer: string;
  /** Layout version. */
  format: number;
  options: ObserverOptions;
  state: unknown;
}

/**
 * What a QuantizationSpec's `observer` holds: an observer class, or one with bound arguments from `withArgs`
 * (PT2E's `observer_or_fake_quant_ctr`). The checker reads `observerName` and `boundArgs` without constructing it.
 */
export interface ObserverConstructor<O extends Observer = Observer> {
  new (options?: ObserverOptions): O;
  readonly observerName: string;
  readonly boundArgs: Readonly<ObserverOptions>;
}
