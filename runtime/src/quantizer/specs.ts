import type { Node } from "../graph/node.js";
import type { ObserverConstructor, Observer } from "../observers/observer.js";
import type { QScheme, QuantDType } from "../quant-types.js";
import type { EdgeOrNode } from "./edge-or-node.js";
import { captureSite } from "./source-site.js";
import type { SourceLocation } from "../source-location.js";
import { unknownOptions } from "./options.js";

/**
 * The base of every spec. Each spec remembers the line of user code that created it, so the checker can report a
 * mistake there rather than deep inside prepare.
 */
export abstract class QuantizationSpecBase {
  /** Where the spec was created (undefined when no user frame was on the stack). */
  readonly site: SourceLocation | undefined = captureSite();
  abstract readonly kind: "observed" | "fixed" | "shared" | "derived";
  /** Options it was given that it does not have (ignored; the checker reports them). */
  unknownOptions: readonly string[] = [];
}

/** The class each spec kind is made with, as messages name it. */
export const SPEC_CLASS = {
  observed: "QuantizationSpec", fixed: "FixedQParamsQuantizationSpec", derived: "DerivedQuantizationSpec", shared: "SharedQuantizationSpec",
} as const;

/** The options each spec takes, for the checker's "did you mean" and for catching PT2E's snake_case names. */
export const SPEC_OPTIONS = {
  observed: ["dtype", "observer", "quantMin", "quantMax", "qscheme", "chAxis", "isDynamic"],
  fixed: ["dtype", "scale", "zeroPoint", "quantMin", "quantMax", "qscheme", "isDynamic"],
  derived: ["derivedFrom", "deriveQparams", "dtype", "quantMin", "quantMax", "qscheme", "chAxis", "isDynamic"],
} as const;

export interface QuantizationSpecFields {
  dtype: QuantDType;
  /** The observer class, or one with bound arguments (`HistogramObserver.withArgs({ eps: 2 ** -12 })`). */
  observer: ObserverConstructor;
  quantMin?: number;
  quantMax?: number;
  qscheme?: QScheme;
  chAxis?: number;
  isDynamic?: boolean;
}

/** Quantize a tensor with qparams an observer computes during calibration. */
export class QuantizationSpec extends QuantizationSpecBase implements Readonly<QuantizationSpecFields> {
  readonly kind = "observed";
  readonly dtype: QuantDType;
  readonly observer: ObserverConstructor;
  readonly quantMin: number | undefined;
  readonly quantMax: number | undefined;
  readonly qscheme: QScheme | undefined;
  readonly chAxis: number | undefined;
  readonly isDynamic: boolean;

  constructor(fields: QuantizationSpecFields) {
    super();
    this.unknownOptions = unknownOptions(fields, SPEC_OPTIONS.observed);
    this.dtype = fields.dtype;
    this.observer = fields.observer;
    this.quantMin = fields.quantMin;
    this.quantMax = fields.quantMax;
    this.qscheme = fields.qscheme;
    this.chAxis = fields.chAxis;
    this.isDynamic = fields.isDynamic ?? false;
  }
}

export interface FixedQParamsQuantizationSpecFields {
  dtype: QuantDType;
  scale: number;
  zeroPoint: number;
  quantMin?: number;
  quantMax?: number;
  qscheme?: QScheme;
  isDynamic?: boolean;
}

/** Quantize a tensor with qparams known in advance (e.g. a sigmoid's output range). */
export class FixedQParamsQuantizationSpec extends QuantizationSpecBase implements Readonly<FixedQParamsQuantizationSpecFields> {
  readonly kind = "fixed";
  readonly dtype: QuantDType;
  readonly scale: number;
  readonly zeroPoint: number;
  readonly quantMin: number | undefined;
  readonly quantMax: number | undefined;
  readonly qscheme: QScheme | undefined;
  readonly isDynamic: boolean;

  constructor(fields: FixedQParamsQuantizationSpecFields) {
    super();
    this.unknownOptions = unknownOptions(fields, SPEC_OPTIONS.fixed);
    this.dtype = fields.dtype;
    this.scale = fields.scale;
    this.zeroPoint = fields.zeroPoint;
    this.quantMin = fields.quantMin;
    this.quantMax = fields.quantMax;
    this.qscheme = fields.qscheme;
    this.isDynamic = fields.isDynamic ?? false;
  }
}

/** Use the same qparams (the same observer) as another edge or node. */
export class SharedQuantizationSpec extends QuantizationSpecBase {
  readonly kind = "shared";
  constructor(readonly edgeOrNode: EdgeOrNode) {
    super();
  }
}

/** What a derive function returns: a scale and zero point, one each per tensor or one per channel. */
export interface DerivedQParams {
  scale: Float32Array | number[] | number;
  zeroPoint: Int32Array | number[] | number;
}

/** One observer per source, in the order of `derivedFrom`. */
export type ObserversFor<From extends readonly EdgeOrNode[]> = { readonly [K in keyof From]: Observer };

export interface DerivedQuantizationSpecFields<From extends readonly EdgeOrNode[]> {
  derivedFrom: From;
  deriveQparams: (observers: ObserversFor<From>) => DerivedQParams;
  dtype: QuantDType;
  quantMin?: number;
  quantMax?: number;
  qscheme?: QScheme;
  chAxis?: number;
  isDynamic?: boolean;
}

/**
 * Qparams computed from other tensors' observers, e.g. an int32 bias with scale = s_act · s_weight. The type ties the
 * length of `derivedFrom` to the tuple `deriveQparams` receives: a function written for two observers cannot be
 * given three sources by its declared type; the checker also reads the function's source for the arity it uses.
 */
export class DerivedQuantizationSpec<const From extends readonly EdgeOrNode[] = readonly EdgeOrNode[]> extends QuantizationSpecBase {
  readonly kind = "derived";
  readonly derivedFrom: From;
  /** The function as the user wrote it (the checker reads its source for the arity it uses). */
  readonly deriveFunction: (observers: readonly Observer[]) => DerivedQParams;
  readonly dtype: QuantDType;
  readonly quantMin: number | undefined;
  readonly quantMax: number | undefined;
  readonly qscheme: QScheme | undefined;
  readonly chAxis: number | undefined;
  readonly isDynamic: boolean;

  constructor(fields: DerivedQuantizationSpecFields<From>) {
    super();
    this.unknownOptions = unknownOptions(fields, SPEC_OPTIONS.derived);
    this.derivedFrom = fields.derivedFrom;
    this.deriveFunction = fields.deriveQparams as (observers: readonly Observer[]) => DerivedQParams;
    this.dtype = fields.dtype;
    this.quantMin = fields.quantMin;
    this.quantMax = fields.quantMax;
    this.qscheme = fields.qscheme;
    this.chAxis = fields.chAxis;
    this.isDynamic = fields.isDynamic ?? false;
  }

  // A method, not a function-typed property: specs with different source tuples must all fit DerivedQuantizationSpec.
  deriveQparams(observers: ObserversFor<From>): DerivedQParams {
    return this.deriveFunction(observers as readonly Observer[]);
  }
}

/** Every spec kind, as a tagged union the checker and prepare switch over. */
export type AnySpec = QuantizationSpec | FixedQParamsQuantizationSpec | SharedQuantizationSpec | DerivedQuantizationSpec;

export function isSpec(x: unknown): x is AnySpec {
  return x instanceof QuantizationSpecBase;
}

/** A spec that carries dtype and range fields (every kind but shared). */
export type RangedSpec = QuantizationSpec | FixedQParamsQuantizationSpec | DerivedQuantizationSpec;

export type { Node };
