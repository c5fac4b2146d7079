import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { Kernels } from "./kernels/kernels.js";
import type { KernelVariant } from "./kernels/module.js";
import { qkitNodeProblem } from "../qkit-ops/validate.js";
import { qkitInputs } from "../qkit-ops/schema.js";
import { SHAPE_OPERANDS } from "../graph/shape-operands.js";
import { InputMismatchError, NodeShapeError, UnsupportedOperatorError, UnsupportedTypeError } from "./errors.js";
import type { ValueMeta } from "./op.js";
import { Plan, type PlanShared } from "./plan.js";
import { createPlanShared } from "./plan-shared.js";
import { PlanCache } from "./plan-cache.js";
import type { Profile } from "./profile.js";
import { Profiler } from "./profiler.js";
import { lookupOp } from "./ops/registry.js";
import { Tensor, type TensorData, type TensorType } from "./tensor.js";
import { bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from "../onnx/float16.js";
import { fastCast } from "./ops/cast-fast.js";

/**
 * Values the caller sees as float16 or bfloat16 that the model computes in float32 (a 16-bit model widened above the
 * engine): feeds of these inputs are converted on the way in, these outputs on the way out, each to its type.
 */
export interface Float16Boundary {
  inputs: ReadonlyMap<string, "float16" | "bfloat16">;
  outputs: ReadonlyMap<string, "float16" | "bfloat16">;
}

const TO_FLOAT = { float16: float16BitsToNumber, bfloat16: bfloat16BitsToNumber } as const;
const FROM_FLOAT = { float16: numberToFloat16Bits, bfloat16: numberToBfloat16Bits } as const;
/** float16 in as the Cast operator converts it: a table of its values. */
const WIDEN_FLOAT16 = fastCast("float16", "float32")!;

/** How the engine runs a model it is given as is (see session/create-session.ts for loading and lowering). */
export interface EngineOptions {
  /** Threads running kernels, the calling one included (worker_threads over shared WebAssembly memory); default 1. */
  threads?: number;
  /** Kernel build: relaxed SIMD where available ("auto", the default), or force one. */
  kernels?: KernelVariant | "auto";
  /** Plans kept for distinct input shapes (each holds its own activation arena); default 4. */
  maxPlans?: number;
  /** Profile every run (as `run(feeds, { profile: true })` does); endProfiling() returns the timings. */
  enableProfiling?: boolean;
}

/** Options of one run. */
export interface RunOptions {
  /** Time every node of this run; the timings accumulate until endProfiling() returns them. */
  profile?: boolean;
}

export interface SessionInfo {
  kernels: KernelVariant;
  threads: number;
}

/**
 * An ONNX model ready to run, in ONNX Runtime's shape: `await session.run({ input: tensor })` resolves to the
 * outputs by name. Every problem with the model or the inputs is raised before any operator runs.
 */
export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly #shared: PlanShared;
  readonly #plans: PlanCache<Plan>;
  readonly #profileAll: boolean;
  readonly #profiler = new Profiler();
  /** The plan of the last run and the feeds' metas it was made for: what a steady run loop hits. */
  #last: Plan | undefined;
  #lastMetas: ReadonlyMap<string, ValueMeta> | undefined;
  readonly #inputs: Node[];
  /** Float inputs that feed operands which decide output shapes (Resize scales, Range bounds, ...). */
  readonly #shapeInputs = new Set<string>();

  readonly #float16: Float16Boundary | undefined;

  /** @internal — use openSession (or createSession above the engine). */
  constructor(readonly model: Model, private readonly kernels: Kernels, options: EngineOptions, float16?: Float16Boundary) {
    this.#float16 = float16 && (float16.inputs.size > 0 || float16.outputs.size > 0) ? float16 : undefined;
    const graph = model.graph;
    const unsupported = graph.calls().filter((n) => !lookupOp(n));
    if (unsupported.length > 0) {
      const first = unsupported[0]!;
      const types = [...new Set(unsupported.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))];
      throw new UnsupportedOperatorError(first.name, first.domain ? `${first.domain}.${first.opType}` : first.opType,
        `is not supported by the qkit engine${types.length > 1 ? ` (nor are: ${types.slice(1).join(", ")})` : ""}`);
    }
    for (const node of graph.calls()) {
      const problem = qkitNodeProblem(node);
      if (problem) throw new NodeShapeError(node.name, `${node.domain}.${node.opType}`, `${problem}; com.qkit nodes are what lower() emits, see src/qkit-ops/schema.ts`);
    }
    for (const node of [...graph.placeholders(), ...graph.outputs]) {
      const type = node.meta.valueInfo?.type;
      if (type && !type.tensorType) {
        throw new UnsupportedTypeError(node.valueName, "is not a tensor (sequences, maps and optionals are not supported)");
      }
    }
    this.#inputs = graph.placeholders();
    for (const input of this.#inputs) {
      for (const user of input.users) {
        const positions = SHAPE_POSITIONS[user.opType];
        if (positions && user.args.some((a, i) => a === input && positions.includes(i))) this.#shapeInputs.add(input.valueName);
      }
    }
    this.inputNames = this.#inputs.map((n) => n.valueName);
    this.outputNames = graph.outputs.map((n) => n.valueName);
    this.#plans = new PlanCache(Math.max(1, options.maxPlans ?? 4));
    this.#profileAll = options.enableProfiling === true;
    this.#owned = [];
    this.#shared = createPlanShared(model, kernels, this.#owned);
  }

  readonly #owned: Float32Array[];

  get info(): SessionInfo {
    return { kernels: this.kernels.variant, threads: this.kernels.threads };
  }

  /**
   * Runs per kernel path so far ("conv", "winograd", "depthwise", "qconv", "qwinograd", "qdepthwise"): which
   * algorithm the plans chose, for tests and diagnostics.
   */
  kernelRuns(): Record<string, number> {
    return Object.fromEntries(this.kernels.runs());
  }

  /** Run the model; rejects (before running anything) on missing, unknown or mis-shaped inputs. */
  async run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>> {
    return this.runSync(feeds, options);
  }

  runSync(given: Readonly<Record<string, Tensor>>, options?: RunOptions): Record<string, Tensor> {
    const feeds = this.#widened(given);
    const plan = this.#planFor(feeds);
    if (this.#profileAll || options?.profile) this.#profiler.run(plan, feeds);
    else plan.run(feeds);
    return this.#narrowed(this.#copyOutputs(plan));
  }

  /** Float16 feeds of the widened inputs, as the float32 the model computes in. */
  #widened(feeds: Readonly<Record<string, Tensor>>): Readonly<Record<string, Tensor>> {
    const boundary = this.#float16;
    if (!boundary) return feeds;
    const result: Record<string, Tensor> = { ...feeds };
    for (const [name, type] of boundary.inputs) {
      const t = feeds[name];
      if (t instanceof Tensor && t.type === type) {
        const bits = t.data as Uint16Array;
        const values = new Float32Array(bits.length);
        if (type === "float16") WIDEN_FLOAT16(bits, values, bits.length);
        else for (let i = 0; i < bits.length; i++) values[i] = TO_FLOAT[type](bits[i]!);
        result[name] = new Tensor("float32", values, t.dims);
      }
    }
    return result;
  }

  /** The widened outputs back in float16, as the model declares them. */
  #narrowed(outputs: Record<string, Tensor>): Record<string, Tensor> {
    const boundary = this.#float16;
    if (!boundary) return outputs;
    for (const [name, type] of boundary.outputs) {
      const t = outputs[name];
      if (t && t.type === "float32") {
        const values = t.data as Float32Array;
        const bits = new Uint16Array(values.length);
        // A conversion per call: one kept at module level would hold the last output's words alive.
        if (type === "float16") fastCast("float32", "float16")!(values, bits, values.length);
        else for (let i = 0; i < values.length; i++) bits[i] = FROM_FLOAT[type](values[i]!);
        outputs[name] = new Tensor(type, bits, t.dims);
      }
    }
    return outputs;
  }

  /**
   * The timings of the profiled runs since the session opened or since the last call (onnxruntime's endProfiling),
   * per node; summarizeProfile and chromeTrace (engine/profile.ts) turn them into tables and a trace file.
   */
  endProfiling(): Profile {
    return this.#profiler.end();
  }

  #copyOutputs(plan: Plan): Record<string, Tensor> {
    const result: Record<string, Tensor> = {};
    for (let i = 0; i < plan.outputs.length; i++) {
      const [name, v] = plan.outputs[i]!;
      const data = Array.isArray(v.data) ? [...v.data] : v.data.slice();
      result[name] = new Tensor(v.dtype as TensorType, data as TensorData, v.dims);
    }
    return result;
  }

  /**
   * Run the model and hand the outputs to `use` as views of the engine's memory, without copying them: they are
   * valid only until `use` returns (the next run reuses the memory). Calibration reads every observed activation this
   * way.
   */
  runWithViews<T>(given: Readonly<Record<string, Tensor>>, use: (outputs: Readonly<Record<string, Tensor>>) => T): T {
    const feeds = this.#widened(given);
    const plan = this.#planFor(feeds);
    plan.run(feeds);
    const views: Record<string, Tensor> = {};
    for (let i = 0; i < plan.outputs.length; i++) {
      const [name, v] = plan.outputs[i]!;
      views[name] = new Tensor(v.dtype as TensorType, v.data as TensorData, v.dims);
    }
    return use(views);
  }

  /**
   * The plan for these feeds: the last one used when the feeds fit it (checked without allocating: the steady state
   * of a serving loop), else validated, looked up by signature, or built.
   */
  #planFor(feeds: Readonly<Record<string, Tensor>>): Plan {
    const last = this.#last;
    if (last && this.#fits(last, feeds)) return last;
    const metas = this.#validate(feeds);
    const key = planKey(metas);
    const plan = this.#plans.get(key, () => new Plan(this.#shared, metas));
    this.#last = plan;
    this.#lastMetas = metas;
    return plan;
  }

  /** Whether `feeds` has exactly the inputs, types, shapes (and shape-like values) the plan was made for. */
  #fits(plan: Plan, feeds: Readonly<Record<string, Tensor>>): boolean {
    const metas = this.#lastMetas!;
    let count = 0;
    for (const name in feeds) {
      const meta = metas.get(name);
      const tensor = feeds[name];
      if (!meta || !(tensor instanceof Tensor) || tensor.type !== meta.dtype) return false;
      const dims = tensor.dims;
      if (dims.length !== meta.dims.length) return false;
      for (let i = 0; i < dims.length; i++) if (dims[i] !== meta.dims[i]) return false;
      if (meta.value !== undefined) {
        const a = meta.value as ArrayLike<unknown>;
        const b = tensor.data as ArrayLike<unknown>;
        if (a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      }
      count++;
    }
    return count === metas.size;
  }
  /** The plan for these inputs' shapes (built if needed); for tests and diagnostics. */
  planFor(given: Readonly<Record<string, Tensor>>): Plan {
    this.runSync(given);
    const feeds = this.#widened(given);
    const metas = this.#validate(feeds);
    const key = planKey(metas);
    return this.#plans.peek(key)!;
  }

  async release(): Promise<void> {
    this.#plans.clear();
    this.#last = undefined;
    for (const view of this.#owned) this.kernels.free(view);
    await this.kernels.close();
  }

  #validate(feeds: Readonly<Record<string, Tensor>>): Map<string, ValueMeta> {
    const metas = new Map<string, ValueMeta>();
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) {
        throw new InputMismatchError(name, `the model has no such input (its inputs: ${this.inputNames.join(", ")})`);
      }
    }
    for (const node of this.#inputs) {
      const name = node.valueName;
      const tensor = feeds[name];
      if (!tensor) throw new InputMismatchError(name, "missing; every model input needs a tensor");
      if (!(tensor instanceof Tensor)) throw new InputMismatchError(name, "is not a Tensor");
      const expectedType = node.meta.dtype;
      if (expectedType && !TENSOR_TYPES.has(expectedType)) throw new UnsupportedTypeError(name, `has element type ${expectedType}, which the engine does not run`);
      if (expectedType && tensor.type !== expectedType) {
        throw new InputMismatchError(name, `expected element type ${expectedType}, got ${tensor.type}`);
      }
      const declared = node.meta.shape;
      if (declared) {
        const shape = `[${declared.join(", ")}]`;
        if (declared.length !== tensor.dims.length) {
          throw new InputMismatchError(name, `expected shape ${shape} (rank ${declared.length}), got [${tensor.dims.join(", ")}]`);
        }
        declared.forEach((d, i) => {
          if (typeof d === "number" && d !== tensor.dims[i]) {
            throw new InputMismatchError(name, `expected shape ${shape}, got [${tensor.dims.join(", ")}] (dimension ${i} must be ${d})`);
          }
        });
      }
      // Small integer and bool inputs are usually shapes, axes, sizes or flags: planning treats their values as constants (part of the
      // plan's key), so that operators whose output shapes depend on them can be planned.
      const small = tensor.size <= SHAPE_LIKE_MAX;
      const shapeLike = small && (tensor.type === "int64" || tensor.type === "int32" || tensor.type === "bool" || this.#shapeInputs.has(name));
      metas.set(name, { dtype: tensor.type, dims: [...tensor.dims], ...(shapeLike ? { value: tensor.data.slice() as TensorData } : {}) });
    }
    return metas;
  }
}

const TENSOR_TYPES = new Set<string>(["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool", "string"]);

const QRESIZE = qkitInputs("QResize");
/**
 * Operand positions whose values decide output shapes; float inputs feeding them specialize plans like integers: the
 * graph's shape operands, QResize's (Resize's, after lowering), and Range's, whose values set its length as well as its data.
 */
const SHAPE_POSITIONS: Readonly<Record<string, readonly number[]>> = {
  ...SHAPE_OPERANDS, Range: [0, 1, 2], QResize: [QRESIZE.roi, QRESIZE.scales, QRESIZE.sizes],
};

/** Integer inputs up to this many elements specialize plans by value (see #validate). */
const SHAPE_LIKE_MAX = 16;

function planKey(metas: ReadonlyMap<string, ValueMeta>): string {
  return [...metas.values()].map((m) => {
    const value = m.value ? `=${Array.from(m.value as ArrayLike<unknown>, String).join(",")}` : "";
    return `${m.dtype}[${m.dims.join(",")}]${value}`;
  }).join(";");
}

/**
 * A session for a model exactly as given: nothing is loaded or lowered here (createSession, above the engine, decides
 * that). The model's com.qkit nodes must already be what lower() emits.
 */
export async function openSession(model: Model, options: EngineOptions = {}, float16?: Float16Boundary): Promise<InferenceSession> {
  const kernels = new Kernels({ threads: options.threads, variant: options.kernels });
  try {
    return new InferenceSession(model, kernels, options, float16);
  } catch (error) {
    await kernels.close();
    throw error;
  }
}
