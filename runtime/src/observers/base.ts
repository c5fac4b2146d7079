import type { QParams } from "../quant-types.js";
import type { ObservedTensor, Observer, ObserverJSON, ObserverOptions } from "./observer.js";
import { ObserverError } from "./observer-error.js";

export type OptionName = keyof ObserverOptions;

/** Every observer class: constructible, named, with its bound arguments and the options it accepts. */
export interface ObserverClass<O extends ObserverBase = ObserverBase> {
  new (options?: ObserverOptions): O;
  readonly observerName: string;
  readonly boundArgs: Readonly<ObserverOptions>;
  readonly acceptedOptions: readonly OptionName[];
  readonly defaultOptions: Readonly<ObserverOptions>;
}

/** The version of the JSON layout written by toJSON; restoring refuses other versions. */
export const OBSERVER_JSON_FORMAT = 1;

/**
 * Shared machinery: options (defaults < withArgs-bound < constructor arguments), withArgs, JSON round trips and the
 * checks around merge. Subclasses hold the statistics.
 */
export abstract class ObserverBase implements Observer {
  static readonly observerName: string = "Observer";
  static readonly boundArgs: Readonly<ObserverOptions> = Object.freeze({});
  static readonly acceptedOptions: readonly OptionName[] = [];
  static readonly defaultOptions: Readonly<ObserverOptions> = Object.freeze({});

  /**
   * A constructor with `args` bound, like PyTorch's `Observer.with_args(...)`: arguments given later (another
   * withArgs, or the constructor's) override bound ones. The result is a subclass, so instanceof still holds.
   */
  static withArgs<T extends ObserverClass>(this: T, args: ObserverOptions): T {
    checkOptionNames(this, args);
    const bound = Object.freeze({ ...this.boundArgs, ...definedOnly(args) });
    // Typed as a plain constructor: the subclass only adds a static, the class itself supplies every member.
    const Base = this as unknown as new (options?: ObserverOptions) => object;
    const Bound = class extends Base {
      static readonly boundArgs = bound;
    };
    Object.defineProperty(Bound, "name", { value: this.name });
    return Bound as unknown as T;
  }

  /** Restores an observer of this class from `toJSON()` output (see observerFromJSON for any class). */
  static fromJSON<T extends ObserverClass>(this: T, json: unknown): InstanceType<T> {
    const j = parseObserverJSON(json);
    if (j.observer !== this.observerName) {
      throw new ObserverError("invalid-json", this.observerName, `the saved state is of a ${j.observer}`);
    }
    const o = new this(j.options) as InstanceType<T>;
    o.loadState(j.state);
    return o;
  }

  readonly options: Readonly<ObserverOptions>;

  constructor(options?: ObserverOptions) {
    const cls = new.target as unknown as ObserverClass;
    if (options) checkOptionNames(cls, options);
    this.options = Object.freeze({ ...cls.defaultOptions, ...cls.boundArgs, ...definedOnly(options ?? {}) });
  }

  /** The class's observerName (also for withArgs-bound subclasses). */
  get observerName(): string {
    return (this.constructor as ObserverClass).observerName;
  }

  abstract observe(tensor: ObservedTensor): void;
  abstract calculateQparams(): QParams;
  /** Statistics only, as plain JSON values; options travel beside them. */
  protected abstract saveState(): unknown;
  /** Replaces the statistics with saved ones (the options already match). */
  protected abstract loadState(state: unknown): void;
  /** Folds `other`'s statistics in; `other` is of the same class with the same options. */
  protected abstract mergeState(other: this): void;

  merge(other: Observer): void {
    if (!(other instanceof ObserverBase) || other.observerName !== this.observerName) {
      const kind = other instanceof ObserverBase ? other.observerName : "foreign observer";
      throw new ObserverError("merge-mismatch", this.observerName, `cannot merge a ${kind} into it`);
    }
    const a = JSON.stringify(this.options);
    const b = JSON.stringify(other.options);
    if (a !== b) {
      throw new ObserverError("merge-mismatch", this.observerName, `cannot merge observers with different options (${a} vs ${b})`);
    }
    this.mergeState(other as this);
  }

  toJSON(): ObserverJSON {
    return { observer: this.observerName, format: OBSERVER_JSON_FORMAT, options: { ...this.options }, state: this.saveState() };
  }

  /** A fresh observer with the same options and a copy of the statistics. */
  clone(): this {
    const o = new (this.constructor as new (options?: ObserverOptions) => this)(this.options);
    o.loadState(JSON.parse(JSON.stringify(this.saveState())));
    return o;
  }
}

export function parseObserverJSON(json: unknown): ObserverJSON {
  const j = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  if (typeof j !== "object" || j === null) throw new ObserverError("invalid-json", "Observer", "expected an object from toJSON()");
  const o = j as Partial<ObserverJSON>;
  if (typeof o.observer !== "string") throw new ObserverError("invalid-json", "Observer", "missing the `observer` name");
  if (o.format !== OBSERVER_JSON_FORMAT) {
    throw new ObserverError("invalid-json", o.observer, `unsupported format ${String(o.format)} (this version reads ${OBSERVER_JSON_FORMAT})`);
  }
  if (typeof o.options !== "object" || o.options === null) throw new ObserverError("invalid-json", o.observer, "missing `options`");
  return { observer: o.observer, format: o.format, options: o.options, state: o.state };
}

function checkOptionNames(cls: ObserverClass, options: ObserverOptions): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(cls.acceptedOptions as readonly string[]).includes(key)) {
      throw new ObserverError(
        "invalid-option",
        cls.observerName,
        `does not take \`${key}\` (it takes ${cls.acceptedOptions.map((k) => `\`${k}\``).join(", ") || "no options"})`,
      );
    }
  }
}

function definedOnly(options: ObserverOptions): ObserverOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as ObserverOptions;
}
