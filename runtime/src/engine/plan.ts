import type { onnx } from "../onnx/proto.js";
import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { declaredOutputTypes, mistypedOutput, producerName } from "../graph/value-info.js";
import { errorMessage, QkitError } from "../errors.js";
import type { Kernels } from "./kernels/kernels.js";
import { NodeShapeError, UnsupportedOperatorError, ValueNeededError } from "./errors.js";
import type { Clamp, PrepareContext, Prepared, RtValue, ValueMeta } from "./op.js";
import { lookupOp } from "./ops/registry.js";
import { arrayFor, type TensorData } from "./tensor.js";
import { allocateArena, type Interval } from "./arena.js";
import { constClampOf, findFakeQuant, type FakeQuantPair } from "./fusion.js";
import { fakeQuantOp } from "./ops/quant.js";
import { findElementwiseChains, type FusedChain } from "./fusion-eltwise.js";
import { findRewrites, type Rewrite } from "./rewrite.js";
import { implicitInputs, keptValues, outerNames, subgraphsOf } from "../graph/subgraph-scope.js";
import { SubgraphRunner } from "./subgraph-runner.js";
import { PlanCache } from "./plan-cache.js";

/**
 * Activations placed in the kernel-memory arena: float32, and the byte tensors of quantized operators (whose kernels
 * read them in place). Other types live in ordinary arrays.
 */
const ARENA_TYPES = new Set<string>(["float32", "int8", "uint8"]);
const EMPTY = new Float32Array(0);

/** How a profiled run times each step: `record(plan, step, startMs, endMs)`, where step `plan.steps.length` is its cut node. */
export interface StepTimer {
  now(): number;
  record(plan: Plan, step: number, start: number, end: number): void;
}

export interface Step {
  node: Node;
  prepared: Prepared;
  /** The slots the run reads (pre-packed constants left out). */
  inputs: (number | undefined)[];
  /** Every operand's slot, read or not (what profiles report shapes of). */
  operands: (number | undefined)[];
  outputs: number[];
}

/** Session-wide state plans share: constants decoded once, weights packed once. */
export interface PlanShared {
  readonly model: Model;
  readonly k: Kernels;
  readonly opset: number;
  constantMeta(node: Node): ValueMeta;
  /** A kernel-memory copy of a float32 constant, made the first time a run needs it. */
  constantInMemory(node: Node, meta: ValueMeta): Float32Array;
  readonly memo: Map<string, unknown>;
  persistentF32(length: number): Float32Array;
}

interface Slot {
  meta: ValueMeta;
  /** Fixed storage: constants, and float32 values in the arena. */
  fixed?: RtValue;
  producer: number;
  lastUse: number;
  /** Slot whose storage this one shares (views). */
  aliasOf?: number;
  /** Where a view starts in its root's storage, in elements. */
  aliasOffset?: number;
}

/**
 * A view's data: its root's array when the view is all of it, else `size` elements of it from `offset` (only float32
 * and byte views are smaller; a fed input's view is pointed at the input again each run).
 */
function viewOf(data: TensorData, offset: number, size: number): TensorData {
  return offset === 0 && data.length === size ? data : (data as Float32Array).subarray(offset, offset + size);
}

function sizeOfMeta(meta: ValueMeta): number {
  return meta.dims.reduce((a, b) => a * b, 1);
}

/**
 * Where a plan that ends before a data-dependent node hands over to the plan of the rest of the graph: a node whose
 * output shapes depend on its input values (it is evaluated here), or one that needs the value of a small input
 * computed at run time (the rest is planned with that value as a constant, and so per value).
 */
interface Cut {
  node: Node;
  evaluate: ((inputs: readonly (RtValue | undefined)[]) => RtValue[]) | undefined;
  /** Handed-over values the rest of the graph takes as constants: their values choose its plan. */
  asConstants: ReadonlySet<Node>;
  /** The node's input slots in this plan. */
  inputs: (number | undefined)[];
  /** The values its subgraphs read by name, with their slots. */
  outer: [string, number][];
  /** The values its outputs stand for: the node itself, or its getitems (undefined where an output is unused). */
  outputNodes: (Node | undefined)[];
  /** Values of this plan the rest of the graph reads (or returns), with their slots. */
  carried: [Node, number][];
  /** Every node this plan and the ones before it computed. */
  done: ReadonlySet<Node>;
  /** The plans of the rest of the graph, by the shapes of the node's outputs (at most MAX_CONTINUATIONS). */
  next: PlanCache<Plan>;
}

/** What a plan that resumes after a data-dependent node starts from. */
interface Resume {
  /** Nodes computed before: not computed again. */
  done: ReadonlySet<Node>;
  /** Values handed over (the earlier plans' values this one reads, the node's outputs): fed like inputs. */
  entries: ReadonlyMap<Node, ValueMeta>;
}

/** Plans of the rest of a graph kept per data-dependent node (one per shape its outputs took). */
const MAX_CONTINUATIONS = 8;
/** The most elements an input computed at run time may have for the plan of the rest to take it as a constant. */
const MAX_VALUE_ELEMENTS = 64;

/**
 * An execution plan for one input-shape signature: operators prepared in topological order (constants folded,
 * Relu/Clip fused into their producer), float32 activations placed in one arena with buffers reused by liveness.
 */
export class Plan {
  readonly steps: Step[] = [];
  readonly slots: Slot[] = [];
  readonly inputSlots = new Map<string, number>();
  readonly outputSlots: [string, number][] = [];
  /** Bytes of the activation arena (the sum of all float activations would be far more). */
  arenaBytes = 0;
  /** Sum of the sizes of every float32 activation, for comparison with arenaBytes. */
  activationBytes = 0;
  /** Per producer, the nodes fused into it (a Relu/Clip applied in its epilogue). */
  readonly fusedInto = new Map<Node, Node[]>();
  /** The graph outputs' values, by name, in the model's order: valid after a run, until the next one. */
  outputs: (readonly [string, RtValue])[] = [];
  #owned: Float32Array[] = [];
  #arena: number | undefined;
  readonly #values: RtValue[] = [];
  readonly #bound: { run: NonNullable<Prepared["run"]>; ins: (RtValue | undefined)[]; outs: RtValue[] }[] = [];
  readonly #fed: { name: string; value: RtValue; copy: boolean }[] = [];
  /** Pairs (view slot, fed input slot): views of inputs passed by reference follow them each run. */
  readonly #fedViews: number[] = [];

  /** Set when this plan ends before a data-dependent node: the plan of the rest follows each run. */
  readonly #cut: Cut | undefined;
  /** Per node with subgraphs, the values of this graph they read by name. */
  readonly #implicit: ReadonlyMap<Node, Node[]>;

  constructor(private readonly shared: PlanShared, inputs: ReadonlyMap<string, ValueMeta>, resume?: Resume) {
    const graph = shared.model.graph;
    const slotOf = new Map<Node, number>();
    const multi = new Map<Node, number[]>();
    const fused = new Map<Node, Node>();
    const fusedInto = new Map<Node, Clamp>();
    const kept = keptValues(graph);
    for (const node of graph.calls()) {
      const def = lookupOp(node);
      if (!def?.fusesClamp || node.users.size !== 1 || kept.has(node)) continue;
      const user = [...node.users][0]!;
      if (user.kind !== "call" || user.args[0] !== node) continue;
      const clamp = constClampOf(user, shared.opset, (n) => shared.constantMeta(n));
      if (!clamp) continue;
      fused.set(user, node);
      fusedInto.set(node, clamp);
      this.fusedInto.set(node, [user]);
    }

    const fakeQuant = findFakeQuant(graph, (n) => shared.constantMeta(n));
    // Pattern rewrites first (decomposed LayerNorm, transposed MatMul operands); elementwise chains fuse what is left.
    const rewrites = findRewrites(graph, (n) => shared.constantMeta(n), shared.opset);
    const chains = findElementwiseChains(graph, shared.opset, (n) => shared.constantMeta(n), rewrites);

    const newSlot = (meta: ValueMeta, producer: number): number => {
      this.slots.push({ meta, producer, lastUse: producer });
      return this.slots.length - 1;
    };

    const computed = new Set<Node>(resume?.done);
    let cut: Node | undefined;
    const implicit = new Map<Node, Node[]>();
    for (const node of graph.calls()) {
      const values = implicitInputs(node, (name) => graph.producerOf(name));
      if (values.length > 0) implicit.set(node, values);
    }
    this.#implicit = implicit;
    for (const node of graph.nodes) {
      if (resume && node.kind !== "parameter") {
        const entry = resume.entries.get(node);
        if (entry) {
          const slot = newSlot(entry, -1);
          if (entry.value !== undefined) this.slots[slot]!.fixed = { dtype: entry.dtype, dims: entry.dims, data: entry.value };
          slotOf.set(node, slot);
          this.inputSlots.set(node.valueName, slot);
          continue;
        }
        if (resume.done.has(node)) continue;
      }
      if (node.kind === "call" && !fused.has(node) && !(fakeQuant.get(node) ?? rewrites.get(node) ?? chains.get(node)) && this.#evaluatedAtRun(node, slotOf)) {
        // Its output shapes are known only once it runs: this plan ends here.
        cut = node;
        break;
      }
      if (node.kind === "placeholder") {
        const meta = inputs.get(node.valueName);
        if (!meta) continue;
        const slot = newSlot(meta, -1);
        if (meta.value !== undefined) this.slots[slot]!.fixed = { dtype: meta.dtype, dims: meta.dims, data: meta.value };
        slotOf.set(node, slot);
        this.inputSlots.set(node.valueName, slot);
      } else if (node.kind === "parameter") {
        const meta = shared.constantMeta(node);
        const slot = newSlot(meta, -1);
        this.slots[slot]!.fixed = { dtype: meta.dtype, dims: meta.dims, data: meta.value! };
        slotOf.set(node, slot);
      } else if (node.kind === "getitem") {
        const outs = multi.get(node.args[0]!);
        if (outs) slotOf.set(node, outs[node.index]!);
      } else if (node.kind === "call") {
        const producer = fused.get(node);
        if (producer) {
          slotOf.set(node, slotOf.get(producer)!);
          continue;
        }
        const pair = fakeQuant.get(node) ?? rewrites.get(node) ?? chains.get(node);
        if (pair === "skip") continue;
        try {
          this.#prepareCall(node, slotOf, multi, fusedInto.get(node), newSlot, pair);
        } catch (error) {
          // A shape computed from data: plan the rest once the node's small run-time inputs are known.
          if (!(error instanceof ValueNeededError) || pair || this.#runtimeSmallInputs(node, slotOf).length === 0) throw error;
          cut = node;
          break;
        }
      }
      if (slotOf.has(node) || multi.has(node)) computed.add(node);
    }
    if (cut) {
      this.#cut = this.#cutAt(cut, slotOf, computed);
    } else {
      const declared = declaredOutputTypes(graph);
      for (const out of graph.outputs) {
        const slot = slotOf.get(out);
        if (slot === undefined) throw new QkitError("bad-graph", `graph output '${out.valueName}' has no value`);
        const mistyped = mistypedOutput(out.valueName, declared.get(out.valueName), this.slots[slot]!.meta.dtype, producerName(out));
        if (mistyped) throw new QkitError("bad-graph", mistyped);
        this.outputSlots.push([out.valueName, slot]);
      }
    }
    this.#placeActivations();
    this.#bind();
  }

  /**
   * Whether the node computes its outputs at run time from values (`evaluate`): one with subgraphs always (they read
   * values by name), one whose output shapes depend on its inputs unless they are all constants.
   */
  #evaluatedAtRun(node: Node, slotOf: ReadonlyMap<Node, number>): boolean {
    if (!lookupOp(node)?.evaluate) return false;
    if (this.#implicit.has(node) || subgraphsOf(node.attributes.values()).length > 0) return true;
    return !node.args.every((a) => !a || this.slots[slotOf.get(a) ?? -1]?.meta.value !== undefined);
  }

  /** The node's inputs computed at run time that are small enough to plan the rest of the graph for their values. */
  #runtimeSmallInputs(node: Node, slotOf: ReadonlyMap<Node, number>): Node[] {
    return node.args.filter((a): a is Node => {
      const meta = a ? this.slots[slotOf.get(a) ?? -1]?.meta : undefined;
      return meta !== undefined && meta.value === undefined && meta.dtype !== "string" && sizeOfMeta(meta) <= MAX_VALUE_ELEMENTS;
    });
  }

  /** The hand-over at a data-dependent node: what it reads, and which of this plan's values the rest of the graph needs. */
  #cutAt(node: Node, slotOf: ReadonlyMap<Node, number>, computed: Set<Node>): Cut {
    const graph = this.shared.model.graph;
    const def = lookupOp(node)!;
    const ctx = this.#context(node, undefined);
    // Evaluated here when its outputs' shapes depend on its inputs; otherwise it waits for the values it needs.
    const evaluated = this.#evaluatedAtRun(node, slotOf);
    // Nodes still to run that read values by name from their subgraphs read them as surely as their inputs.
    const readByName = new Set<Node>();
    for (const [user, values] of this.#implicit) if (!computed.has(user)) for (const v of values) readByName.add(v);
    const carried: [Node, number][] = [];
    for (const value of computed) {
      const slot = slotOf.get(value);
      if (slot === undefined || value.kind === "parameter") continue;
      if (graph.outputs.includes(value) || readByName.has(value) || [...value.users].some((u) => u.kind !== "output" && !computed.has(u))) carried.push([value, slot]);
    }
    const inputs = node.args.map((a) => (a ? slotOf.get(a) : undefined));
    const outer = (this.#implicit.get(node) ?? []).map((v): [string, number] => [v.valueName, slotOf.get(v)!]).filter(([, slot]) => slot !== undefined);
    // What the rest reads must outlive this plan's last step; so must what the node itself reads.
    for (const s of [...carried.map(([, slot]) => slot), ...inputs, ...outer.map(([, slot]) => slot)]) if (s !== undefined) this.slots[s]!.lastUse = Number.MAX_SAFE_INTEGER;
    const outputNodes = !evaluated ? [] : node.isMultiOutput
      ? Array.from({ length: node.outputNames?.length ?? 0 }, (_, i) => [...node.users].find((u) => u.kind === "getitem" && u.index === i))
      : [node];
    // The outer values by name: the plan's RtValues are made once (#bind), so the map is too, at the first run.
    let outerValues: Map<string, RtValue> | undefined;
    return {
      node, inputs, outer, outputNodes, carried, next: new PlanCache(MAX_CONTINUATIONS),
      asConstants: new Set(evaluated ? [] : this.#runtimeSmallInputs(node, slotOf)),
      evaluate: !evaluated ? undefined : (ins) => {
        try {
          outerValues ??= new Map(outer.map(([name, slot]) => [name, this.#values[slot]!]));
          return def.evaluate!(ins, ctx, outerValues);
        } catch (error) {
          if (error instanceof QkitError) throw error;
          throw new NodeShapeError(node.name, node.opType, errorMessage(error));
        }
      },
      done: new Set([...computed, ...(evaluated ? [node] : []), ...outputNodes.filter((n): n is Node => n !== undefined)]),
    };
  }

  #prepareCall(
    node: Node, slotOf: Map<Node, number>, multi: Map<Node, number[]>, clamp: Clamp | undefined,
    newSlot: (meta: ValueMeta, producer: number) => number, fused?: FakeQuantPair | Rewrite | FusedChain,
  ): void {
    const def = fused ? ("def" in fused ? fused.def : fakeQuantOp) : lookupOp(node);
    if (!def) throw new UnsupportedOperatorError(node.name, node.opType);
    const args = fused ? fused.args : node.args;
    const inputSlots = args.map((a) => (a ? slotOf.get(a) : undefined));
    args.forEach((a, i) => {
      if (a && inputSlots[i] === undefined) throw new NodeShapeError(node.name, node.opType, `input ${i} ('${a.valueName}') has no value`);
    });
    const metas = inputSlots.map((s) => (s === undefined ? undefined : this.slots[s]!.meta));
    const ctx = this.#context(node, clamp);
    let prepared: Prepared;
    try {
      prepared = def.prepare(metas, ctx);
    } catch (error) {
      if (error instanceof QkitError) throw error;
      throw new NodeShapeError(node.name, node.opType, errorMessage(error));
    }
    const stepIndex = this.steps.length;
    const allConst = metas.every((m) => m === undefined || m.value !== undefined);
    if (allConst && prepared.run && prepared.alias === undefined) {
      // Computable now: run it once while planning and keep the results as constants.
      const ins = inputSlots.map((s) => (s === undefined ? undefined : this.#constantRt(s)));
      const outs = prepared.outputs.map((m) => this.#freshValue(m, true));
      prepared.run(ins, outs);
      prepared = { outputs: outs.map((o) => ({ dtype: o.dtype, dims: o.dims, value: o.data })) };
    }
    const outSlots = prepared.outputs.map((meta) => newSlot(meta, stepIndex));
    prepared.outputs.forEach((meta, i) => {
      if (meta.value !== undefined) this.slots[outSlots[i]!]!.fixed = { dtype: meta.dtype, dims: meta.dims, data: meta.value };
    });
    if (prepared.alias !== undefined) {
      const source = inputSlots[prepared.alias]!;
      const slot = this.slots[outSlots[0]!]!;
      const whole = this.slots[source]!.meta.value;
      const value = whole === undefined ? undefined : viewOf(whole, prepared.aliasOffset ?? 0, sizeOfMeta(slot.meta));
      if (value !== undefined) {
        slot.meta = { ...slot.meta, value };
        slot.fixed = { dtype: slot.meta.dtype, dims: slot.meta.dims, data: value };
      } else {
        slot.aliasOf = this.#root(source);
        const offset = (this.slots[source]!.aliasOffset ?? 0) + (prepared.aliasOffset ?? 0);
        if (offset !== 0) slot.aliasOffset = offset;
      }
    }
    if (node.isMultiOutput) multi.set(node, outSlots);
    else slotOf.set(node, outSlots[0]!);
    if (!prepared.run) return;
    const reads = prepared.runtimeInputs ?? inputSlots.map((_, i) => i);
    for (const i of reads) {
      const s = inputSlots[i];
      if (s !== undefined) this.slots[s]!.lastUse = Math.max(this.slots[s]!.lastUse, stepIndex);
    }
    this.steps.push({
      node,
      prepared,
      inputs: inputSlots.map((s, i) => (reads.includes(i) ? s : undefined)),
      operands: inputSlots,
      outputs: outSlots,
    });
    for (const i of reads) {
      const s = inputSlots[i];
      if (s !== undefined && this.slots[s]!.fixed) this.#constantRt(s);
    }
  }

  #context(node: Node, clamp: Clamp | undefined): PrepareContext {
    const shared = this.shared;
    return {
      node,
      opset: shared.opset,
      k: shared.k,
      clamp,
      once<T>(key: string, make: () => T): T {
        const full = `${node.name}\u0000${key}`;
        if (!shared.memo.has(full)) shared.memo.set(full, make());
        return shared.memo.get(full) as T;
      },
      persistentF32: (length) => shared.persistentF32(length),
      fail: (message) => { throw new NodeShapeError(node.name, node.opType, message); },
      unsupported: (detail) => { throw new UnsupportedOperatorError(node.name, node.opType, detail); },
      needsValue: (detail) => { throw new ValueNeededError(node.name, node.opType, detail); },
      subgraph(name) {
        const graphProto = node.attributes.get(name)?.g;
        if (!graphProto) throw new NodeShapeError(node.name, node.opType, `has no graph attribute '${name}'`);
        const key = `${node.name}\u0000subgraph:${name}`;
        if (!shared.memo.has(key)) {
          const constants = new Map<string, onnx.ITensorProto>();
          for (const name of outerNames(graphProto)) {
            const value = shared.model.graph.node(name);
            if (value?.kind === "parameter" && value.tensor) constants.set(name, value.tensor);
          }
          shared.memo.set(key, new SubgraphRunner(graphProto, shared.k, shared.opset, [], (sh, inputs) => new Plan(sh, inputs), constants));
        }
        return shared.memo.get(key) as SubgraphRunner;
      },
    };
  }

  #root(slot: number): number {
    let s = slot;
    while (this.slots[s]!.aliasOf !== undefined) s = this.slots[s]!.aliasOf!;
    return s;
  }

  /**
   * A constant's run-time value; float32 and byte constants (the integer kernels' operands, e.g. a QuantizeLinear of
   * a constant folded while planning) are copied into kernel memory once.
   */
  #constantRt(slot: number): RtValue {
    const s = this.slots[slot]!;
    const fixed = s.fixed!;
    if (ARENA_TYPES.has(fixed.dtype) && !this.shared.k.inMemory(fixed.data as Float32Array | Uint8Array | Int8Array)) {
      const copy = this.#freshValue({ dtype: fixed.dtype, dims: fixed.dims }, true);
      (copy.data as Float32Array).set(fixed.data as ArrayLike<number>);
      s.fixed = { ...fixed, data: copy.data };
    }
    return s.fixed!;
  }

  #freshValue(meta: ValueMeta, owned: boolean): RtValue {
    const size = meta.dims.reduce((a, b) => a * b, 1);
    if (meta.dtype === "float32") {
      const data = this.shared.k.allocF32(size);
      if (owned) this.#owned.push(data);
      return { dtype: meta.dtype, dims: meta.dims, data };
    }
    if (meta.dtype === "uint8" || meta.dtype === "int8") {
      // Byte values are the integer kernels' operands (and results), in kernel memory: a constant copied there, or one
      // folded while planning by those kernels (a QGemm of learned queries).
      const store = this.shared.k.allocF32(Math.ceil(size / 4) + 1);
      if (owned) this.#owned.push(store);
      const data = meta.dtype === "int8" ? new Int8Array(store.buffer, store.byteOffset, size) : new Uint8Array(store.buffer, store.byteOffset, size);
      return { dtype: meta.dtype, dims: meta.dims, data };
    }
    if (meta.dtype === "string") return { dtype: meta.dtype, dims: meta.dims, data: new Array<string>(size).fill("") };
    return { dtype: meta.dtype, dims: meta.dims, data: arrayFor(meta.dtype, size) };
  }

  #placeActivations(): void {
    const end = this.steps.length;
    for (const [, slot] of this.outputSlots) this.slots[slot]!.lastUse = end;
    // Views keep their source alive for as long as they are used.
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (s.aliasOf !== undefined) {
        const root = this.slots[this.#root(i)]!;
        root.lastUse = Math.max(root.lastUse, s.lastUse);
      }
    }
    const floats: { slot: number; bytes: number; interval: Interval }[] = [];
    this.slots.forEach((s, i) => {
      if (s.fixed || s.aliasOf !== undefined || !ARENA_TYPES.has(s.meta.dtype)) return;
      const bytes = s.meta.dims.reduce((a, b) => a * b, 1) * (s.meta.dtype === "float32" ? 4 : 1);
      floats.push({ slot: i, bytes, interval: { start: s.producer, end: Math.max(s.lastUse, s.producer) } });
      this.activationBytes += bytes;
    });
    const { offsets, total } = allocateArena(floats.map((f) => ({ bytes: f.bytes, interval: f.interval })));
    this.arenaBytes = total;
    this.#arena = this.shared.k.heap.alloc(Math.max(total, 64));
    floats.forEach((f, i) => {
      const s = this.slots[f.slot]!;
      s.fixed = { dtype: s.meta.dtype, dims: s.meta.dims, data: this.#arenaView(s.meta.dtype, this.#arena! + offsets[i]!, f.bytes) };
    });
    this.slots.forEach((s, i) => {
      if (s.aliasOf === undefined) return;
      const root = this.slots[this.#root(i)]!;
      if (root.fixed) s.fixed = { dtype: s.meta.dtype, dims: s.meta.dims, data: viewOf(root.fixed.data, s.aliasOffset ?? 0, sizeOfMeta(s.meta)) };
    });
  }

  #arenaView(dtype: string, ptr: number, bytes: number): TensorData {
    const k = this.shared.k;
    if (dtype === "float32") return k.f32(ptr, bytes / 4);
    return dtype === "int8" ? k.view(Int8Array, ptr, bytes) : k.view(Uint8Array, ptr, bytes);
  }

  /**
   * One RtValue per slot, made once: fixed storage, views of it, per-plan buffers for the values that live outside the
   * arena, and mutable holders for fed inputs. Every step's argument arrays point at them, so a run allocates nothing.
   */
  #bind(): void {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!;
      if (s.fixed) {
        this.#values.push(s.fixed);
      } else if (s.aliasOf !== undefined) {
        const root = this.#root(i);
        this.#values.push({ dtype: s.meta.dtype, dims: s.meta.dims, data: viewOf(this.#values[root]!.data, s.aliasOffset ?? 0, sizeOfMeta(s.meta)) });
        if (this.slots[root]!.producer < 0) this.#fedViews.push(i, root);
      } else if (s.producer < 0) {
        this.#values.push({ dtype: s.meta.dtype, dims: s.meta.dims, data: EMPTY });
      } else {
        this.#values.push(this.#freshValue(s.meta, false));
      }
    }
    for (const [name, slot] of this.inputSlots) {
      const s = this.slots[slot]!;
      this.#fed.push({ name, value: this.#values[slot]!, copy: ARENA_TYPES.has(s.meta.dtype) && s.fixed !== undefined });
    }
    for (const step of this.steps) {
      this.#bound.push({
        run: step.prepared.run!,
        ins: step.inputs.map((s) => (s === undefined ? undefined : this.#values[s])),
        outs: step.outputs.map((s) => this.#values[s]!),
      });
    }
    this.outputs = this.outputSlots.map(([name, slot]) => [name, this.#values[slot]!] as const);
  }

  /** Put the fed inputs where the steps read them: float and byte inputs copied into the arena, others by reference. */
  #feed(inputs: Readonly<Record<string, { readonly data: TensorData }>>): void {
    for (const { name, value, copy } of this.#fed) {
      const data = inputs[name]!.data;
      if (copy) (value.data as Float32Array).set(data as Float32Array);
      else value.data = data;
    }
    const views = this.#fedViews;
    for (let i = 0; i < views.length; i += 2) this.#values[views[i]!]!.data = this.#values[views[i + 1]!]!.data;
  }

  /**
   * Run the plan; `inputs` already validated against this plan's signature. The results are `outputs`, whose data
   * the next run overwrites.
   */
  run(inputs: Readonly<Record<string, { readonly data: TensorData }>>): void {
    this.#feed(inputs);
    const bound = this.#bound;
    const k = this.shared.k;
    k.beginRun();
    try {
      for (let i = 0; i < bound.length; i++) {
        const b = bound[i]!;
        b.run(b.ins, b.outs);
      }
    } finally {
      k.endRun();
    }
    if (this.#cut) this.#resume(undefined, (next, feeds) => next.run(feeds));
  }

  /**
   * Past the cut: the data-dependent node computes its outputs, and the plan of the rest of the graph for their
   * shapes (made the first time they occur) runs on them and on the values this plan hands over.
   */
  #resume(timing: StepTimer | undefined, runNext: (next: Plan, feeds: Record<string, { readonly data: TensorData }>) => void): void {
    const cut = this.#cut!;
    const start = timing?.now();
    const outs = cut.evaluate?.(cut.inputs.map((s) => (s === undefined ? undefined : this.#values[s]))) ?? [];
    if (timing && cut.evaluate) timing.record(this, this.steps.length, start!, timing.now());
    let key = outs.map((o) => `${o.dtype}[${o.dims.join(",")}]`).join(" ");
    for (const [node, slot] of cut.carried) if (cut.asConstants.has(node)) key += ` ${node.valueName}=${Array.from(this.#values[slot]!.data as ArrayLike<unknown>, String).join(",")}`;
    const next = cut.next.get(key, () => {
      const entries = new Map<Node, ValueMeta>();
      for (const [node, slot] of cut.carried) {
        const meta = this.slots[slot]!.meta;
        // A value taken as a constant is copied: this plan's buffer holds the next run's.
        const value = cut.asConstants.has(node) ? (this.#values[slot]!.data as Exclude<TensorData, string[]>).slice() : meta.value;
        entries.set(node, value !== undefined ? { dtype: meta.dtype, dims: meta.dims, value } : { dtype: meta.dtype, dims: meta.dims });
      }
      cut.outputNodes.forEach((node, i) => { if (node) entries.set(node, { dtype: outs[i]!.dtype, dims: outs[i]!.dims }); });
      return new Plan(this.shared, new Map(), { done: cut.done, entries });
    });
    const feeds: Record<string, { readonly data: TensorData }> = {};
    for (const [node, slot] of cut.carried) feeds[node.valueName] = this.#values[slot]!;
    cut.outputNodes.forEach((node, i) => { if (node) feeds[node.valueName] = outs[i]!; });
    runNext(next, feeds);
    this.outputs = next.outputs;
  }

  /** The data-dependent node this plan evaluates after its steps, if any (what profiles call step `steps.length`). */
  get cutNode(): Node | undefined {
    return this.#cut?.evaluate ? this.#cut.node : undefined;
  }

  /** Run as `run` does, timing each step: `record(step, startMs, endMs)` after it (profiling; see profile.ts). */
  runTimed(inputs: Readonly<Record<string, { readonly data: TensorData }>>, timing: StepTimer): void {
    this.#feed(inputs);
    const bound = this.#bound;
    const k = this.shared.k;
    k.beginRun();
    try {
      for (let i = 0; i < bound.length; i++) {
        const b = bound[i]!;
        const start = timing.now();
        b.run(b.ins, b.outs);
        timing.record(this, i, start, timing.now());
      }
    } finally {
      k.endRun();
    }
    if (this.#cut) this.#resume(timing, (next, feeds) => next.runTimed(feeds, timing));
  }

  dispose(): void {
    this.#cut?.next.clear();
    for (const view of this.#owned) this.shared.k.free(view);
    this.#owned = [];
    if (this.#arena !== undefined) this.shared.k.heap.free(this.#arena);
    this.#arena = undefined;
  }
}
