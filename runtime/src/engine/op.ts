import type { Node } from "../graph/node.js";
import type { DataType } from "../onnx/data-type.js";
import type { Kernels } from "./kernels/kernels.js";
import type { TensorData } from "./tensor.js";

/** What planning knows about a value: element type, concrete shape and, for constants, the data. */
export interface ValueMeta {
  dtype: DataType;
  dims: number[];
  /** Known while planning: parameters, and everything computed only from them and from shapes. */
  value?: TensorData;
}

/** A value while a plan runs. Float32 data always lives in kernel memory; other types in ordinary arrays. */
export interface RtValue {
  dtype: DataType;
  dims: number[];
  data: TensorData;
}

/** An operator instance ready to run on one input-shape signature. */
export interface Prepared {
  outputs: ValueMeta[];
  /** Output 0 is input `alias` re-shaped: it shares the storage (Reshape, Flatten, Squeeze, ...). */
  alias?: number;
  /**
   * With `alias`: output 0 is the contiguous run of input `alias` that starts this many elements in (a Gather of one
   * index with nothing outside the gathered axis). Only for float32 and byte values that are not constants.
   */
  aliasOffset?: number;
  /** Computes the outputs into the storage the plan assigned them. Absent when every output has its value. */
  run?(inputs: readonly (RtValue | undefined)[], outputs: readonly RtValue[]): void;
  /** Inputs the run reads (default all): constants it has pre-packed need not be copied into kernel memory. */
  runtimeInputs?: number[];
}

export interface Clamp {
  lo: number;
  hi: number;
}

export interface PrepareContext {
  readonly node: Node;
  /** The default-domain opset the model imports. */
  readonly opset: number;
  readonly k: Kernels;
  /** A Relu/Clip fused into this node: apply it to output 0 (only offered to ops that declare fusesClamp). */
  readonly clamp: Clamp | undefined;
  /** Per-session memo, keyed per node: weights are packed once, whatever the input shapes. */
  once<T>(key: string, make: () => T): T;
  /** Float32 memory that lives as long as the session (packed weights). */
  persistentF32(length: number): Float32Array;
  /** Throws a NodeShapeError for this node: its inputs or attributes do not fit the operator. */
  fail(message: string): never;
  /** Throws an UnsupportedOperatorError for a variant of the operator the engine does not implement. */
  unsupported(detail: string): never;
  /** Throws a ValueNeededError: the operator needs an input's value, which is computed at run time. */
  needsValue(detail: string): never;
  /** The graph the node's attribute `name` holds, ready to run on the session's kernels (If branches, Loop bodies). */
  subgraph(name: string): Subgraph;
}

/** A subgraph run on the session's kernels, with plans of its own per input shapes. */
export interface Subgraph {
  /** Its declared inputs, in order. */
  readonly inputNames: readonly string[];
  /** The values of enclosing graphs it reads by name. */
  readonly outerNames: readonly string[];
  /** Its outputs for these inputs and outer values (by name), in its declared order; the caller owns them. */
  run(values: ReadonlyMap<string, RtValue>): RtValue[];
}

export interface OpDef {
  /** Accepts a fused clamp (Relu, Clip) on its output. */
  fusesClamp?: boolean;
  prepare(inputs: readonly (ValueMeta | undefined)[], ctx: PrepareContext): Prepared;
  /**
   * An operator whose output shapes depend on its input values (NonZero, Compress, Unique, NonMaxSuppression): its
   * outputs computed from the inputs' values. A plan ends before such a node when its inputs are not known while
   * planning, and the rest of the graph is planned, each run, for the shapes the outputs have (see plan.ts).
   */
  evaluate?(inputs: readonly (RtValue | undefined)[], ctx: PrepareContext, outer: ReadonlyMap<string, RtValue>): RtValue[];
}
