import type { onnx } from "../onnx/proto.js";
import { isFloatType, type DataType } from "../onnx/data-type.js";
import { attributeValue, type AttributeValue } from "../onnx/attributes.js";
import type { Graph } from "./graph.js";
import { isShapeOperand } from "./shape-operands.js";

/**
 * What a node is, in torch.fx's terms:
 * - placeholder: a graph input;
 * - parameter: a constant tensor (an initializer, or a Constant node folded on load), like fx's get_attr;
 * - call: an ONNX operator application, like call_function;
 * - getitem: one output of a multi-output call (fx's operator.getitem), so every value has exactly one producer node;
 * - output: the single node whose args are the graph outputs.
 */
export type NodeKind = "placeholder" | "parameter" | "call" | "getitem" | "output";

/** A dimension: a size, or a symbol such as "batch" when the size is only known at run time. */
export type Dim = number | string;

/** One level of the module hierarchy a node came from, recovered from exporter names like /layer1/layer1.0/conv1/Conv. */
export interface ModuleFrame {
  /** Fully qualified module path, e.g. "layer1.0.conv1". */
  path: string;
  /** The segment as it appears in the node name, e.g. "conv1". */
  name: string;
}

export interface NodeMeta {
  /** Element type of the node's value (undefined for call nodes with several outputs and for the output node). */
  dtype?: DataType;
  /** Shape of the node's value; undefined when even the rank is unknown. */
  shape?: Dim[];
  moduleStack?: ModuleFrame[];
  /** Where a parameter came from: an initializer, a graph input with a default (IR < 4), or a folded Constant node. */
  origin?: "initializer" | "input-initializer" | "constant";
  /** The ValueInfoProto the model declared for this value, re-emitted on save. */
  valueInfo?: onnx.IValueInfoProto;
  /** Set by Quantizer.annotate (see the annotation API). */
  quantizationAnnotation?: unknown;
  [key: string]: unknown;
}

export type NodeArg = Node | null;

export class Node {
  /** Nodes that take this node's value as an argument, in the order they started to. */
  readonly users = new Set<Node>();
  readonly meta: NodeMeta = {};
  /** ONNX attributes by name, kept as protos so saving loses nothing. */
  readonly attributes = new Map<string, onnx.IAttributeProto>();
  docString = "";
  /** For parameters: the tensor (data already in memory). */
  tensor: onnx.ITensorProto | undefined;
  #args: NodeArg[] = [];

  /** @internal — create nodes through Graph. */
  constructor(
    readonly graph: Graph,
    public name: string,
    public readonly kind: NodeKind,
    /** ONNX op type for call nodes; "" otherwise. */
    public opType: string,
    /** ONNX domain for call nodes ("" is ai.onnx). */
    public domain: string,
    /**
     * The ONNX tensor names this node produces. One for every kind but call nodes with several outputs (whose values are
     * read through getitem nodes) and the output node (none). An omitted optional output is "".
     */
    public outputNames: string[],
    /** For getitem: which output of the call node this is. */
    public readonly index = 0,
  ) {}

  /**
   * Whether the node's value may be quantized: a floating-point tensor, or one whose dtype shape inference could not
   * tell. Integer and bool values (token ids, Shape → Gather → Concat arithmetic feeding Reshape) never are.
   */
  get isFloatValue(): boolean {
    return this.meta.dtype === undefined || isFloatType(this.meta.dtype);
  }

  /**
   * Whether the value only decides shapes: every use of it ends in an operand that sets an output's shape (Resize's
   * scales and sizes, Upsample's scales, Reshape's shape), directly or through the arithmetic computing one. Some
   * exports compute Resize's scales in float (Shape → Cast → Mul); quantizing them would round the shapes.
   */
  get isShapeOperand(): boolean {
    return isShapeOperand(this);
  }

  /** Input nodes in ONNX input order; null for an omitted optional input. */
  get args(): readonly NodeArg[] {
    return this.#args;
  }

  set args(next: readonly NodeArg[]) {
    for (const old of this.#args) old?.users.delete(this);
    this.#args = [...next];
    for (const arg of this.#args) arg?.users.add(this);
    this.graph.argsChanged();
  }

  /** The tensor name of this node's value (the first output for a call). */
  get valueName(): string {
    return this.outputNames[0] ?? "";
  }

  get isMultiOutput(): boolean {
    return this.kind === "call" && this.outputNames.length > 1;
  }

  /** Replace every occurrence of `old` among this node's args with `replacement`. */
  replaceInput(old: Node, replacement: NodeArg): void {
    this.args = this.#args.map((a) => (a === old ? replacement : a));
  }

  /**
   * Make the users of this node use `replacement` instead; returns the users that changed. `shouldReplace` picks
   * which users change (fx's delete_user_cb), e.g. all but the new node itself when inserting after this one.
   */
  replaceAllUsesWith(replacement: Node, shouldReplace: (user: Node) => boolean = () => true): Node[] {
    const users = [...this.users].filter(shouldReplace);
    for (const user of users) user.replaceInput(this, replacement);
    return users;
  }

  attribute(name: string): AttributeValue | undefined {
    const attr = this.attributes.get(name);
    return attr ? attributeValue(attr) : undefined;
  }

  intAttribute(name: string, fallback: number): number {
    const value = this.attribute(name);
    return typeof value === "number" ? value : fallback;
  }

  floatAttribute(name: string, fallback: number): number {
    const value = this.attribute(name);
    return typeof value === "number" ? value : fallback;
  }

  intsAttribute(name: string): number[] | undefined {
    const value = this.attribute(name);
    return Array.isArray(value) && (value.length === 0 || typeof value[0] === "number") ? (value as number[]) : undefined;
  }

  stringAttribute(name: string, fallback: string): string {
    const value = this.attribute(name);
    return typeof value === "string" ? value : fallback;
  }

  /** The node's single-line text form, as in graph.toString(). */
  toString(): string {
    return `%${this.name}`;
  }

  /** @internal — used by Graph when the args were cleared. */
  _clearArgs(): void {
    const old = this.#args;
    this.#args = [];
    for (const arg of old) if (arg) arg.users.delete(this);
  }
}
