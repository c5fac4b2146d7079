import type { onnx } from "../onnx/proto.js";
import { GraphLintError } from "../errors.js";
import { Node, type NodeArg, type NodeKind } from "./node.js";
import { lintGraph } from "./lint.js";
import { printGraph } from "./print.js";

export interface CallOptions {
  name?: string;
  domain?: string;
  attributes?: Iterable<onnx.IAttributeProto>;
  /** Tensor names of the outputs; one is generated from the node name when omitted. */
  outputNames?: string[];
}

/** Where a new node goes: before or after an existing node; by default before the output node. */
export type InsertionPoint = { before: Node } | { after: Node };

/**
 * An ordered list of nodes in topological order, modelled on torch.fx.Graph. Every value has exactly one producer
 * node, so an edge is a pair (producer, consumer) of nodes, which is what the annotation API's EdgeOrNode needs.
 * All structural changes go through the methods here, which keep `users` and the name tables consistent;
 * `lint()` checks that they did.
 */
export class Graph {
  name = "";
  docString = "";
  /** Fields of the GraphProto that the IR does not model, written back unchanged on save. */
  readonly passthrough: { sparseInitializer: onnx.ISparseTensorProto[]; quantizationAnnotation: onnx.ITensorAnnotation[] } = {
    sparseInitializer: [],
    quantizationAnnotation: [],
  };
  // The order is a doubly linked list, so inserting and erasing cost O(1) whatever the graph's size (a pass that folds
  // thousands of nodes stays linear); the array and the positions are derived from it when read, and kept until the
  // next change.
  readonly #next = new Map<Node, Node>();
  readonly #prev = new Map<Node, Node>();
  #first: Node;
  #count = 1;
  #array: Node[] | undefined;
  #positions: Map<Node, number> | undefined;
  #version = 0;
  #byName = new Map<string, Node>();
  #byTensor = new Map<string, Node>();
  readonly outputNode: Node;

  constructor() {
    this.outputNode = new Node(this, "output", "output", "", "", []);
    this.#first = this.outputNode;
    this.#byName.set("output", this.outputNode);
  }

  /** All nodes, in order (a snapshot: mutating the graph while iterating it is safe). */
  get nodes(): readonly Node[] {
    return [...this.#list()];
  }

  get size(): number {
    return this.#count;
  }

  placeholders(): Node[] {
    return this.#list().filter((n) => n.kind === "placeholder");
  }

  parameters(): Node[] {
    return this.#list().filter((n) => n.kind === "parameter");
  }

  /** Operator nodes, optionally of the given op types. */
  calls(...opTypes: string[]): Node[] {
    return this.#list().filter((n) => n.kind === "call" && (opTypes.length === 0 || opTypes.includes(n.opType)));
  }

  /** The graph outputs (the output node's args). */
  get outputs(): readonly Node[] {
    return this.outputNode.args.filter((a): a is Node => a !== null);
  }

  set outputs(values: readonly Node[]) {
    this.outputNode.args = values;
  }

  /** The node with this IR name. */
  node(name: string): Node | undefined {
    return this.#byName.get(name);
  }

  /** The node that produces the ONNX tensor of this name. */
  producerOf(tensorName: string): Node | undefined {
    return this.#byTensor.get(tensorName);
  }

  indexOf(node: Node): number {
    if (!this.#positions) this.#positions = new Map(this.#list().map((n, i) => [n, i]));
    return this.#positions.get(node) ?? -1;
  }

  has(node: Node): boolean {
    return node.graph === this && this.#byName.get(node.name) === node;
  }

  /** A name not yet used by any node, from `base`. */
  uniqueName(base: string): string {
    if (!this.#byName.has(base)) return base;
    for (let i = 1; ; i++) if (!this.#byName.has(`${base}_${i}`)) return `${base}_${i}`;
  }

  /** A tensor name not yet produced by any node, from `base`. */
  uniqueTensorName(base: string): string {
    if (!this.#byTensor.has(base)) return base;
    for (let i = 1; ; i++) if (!this.#byTensor.has(`${base}_${i}`)) return `${base}_${i}`;
  }

  addPlaceholder(tensorName: string, at?: InsertionPoint): Node {
    const node = new Node(this, this.uniqueName(tensorName), "placeholder", "", "", [tensorName]);
    return this.#insert(node, at ?? this.#afterLast("placeholder"));
  }

  addParameter(tensorName: string, tensor: onnx.ITensorProto, at?: InsertionPoint): Node {
    const node = new Node(this, this.uniqueName(tensorName), "parameter", "", "", [tensorName]);
    node.tensor = tensor;
    node.meta.origin = "initializer";
    return this.#insert(node, at ?? this.#afterLeading());
  }

  /**
   * Add an operator node. With several output names it also adds one getitem node per non-empty output, right after
   * it; use `getitems(call)` to reach them.
   */
  addCall(opType: string, args: readonly NodeArg[], options: CallOptions = {}, at?: InsertionPoint): Node {
    const name = this.uniqueName(options.name || this.#defaultCallName(opType));
    const outputNames = options.outputNames ?? [this.uniqueTensorName(`${name}_output_0`)];
    const node = new Node(this, name, "call", opType, options.domain ?? "", outputNames);
    for (const attr of options.attributes ?? []) node.attributes.set(attr.name ?? "", attr);
    node.args = args;
    this.#insert(node, at ?? { before: this.outputNode });
    if (outputNames.length > 1) {
      let previous = node;
      outputNames.forEach((tensorName, index) => {
        if (!tensorName) return;
        const item = new Node(this, this.uniqueName(tensorName), "getitem", "", "", [tensorName], index);
        item.args = [node];
        previous = this.#insert(item, { after: previous });
      });
    }
    return node;
  }

  /** The getitem nodes of a multi-output call, by output index (missing where the output is omitted). */
  getitems(call: Node): (Node | undefined)[] {
    const items: (Node | undefined)[] = call.outputNames.map(() => undefined);
    for (const user of call.users) if (user.kind === "getitem") items[user.index] = user;
    return items;
  }

  /** Move `node` to just before or after `at`. The caller keeps the order topological (lint checks). */
  move(node: Node, at: InsertionPoint): void {
    this.#unlink(node);
    this.#place(node, at);
  }

  /** Remove a node that nobody uses. */
  eraseNode(node: Node): void {
    if (node === this.outputNode) throw new Error("the output node cannot be erased");
    if (node.users.size > 0) {
      const users = [...node.users].map((u) => u.name).join(", ");
      throw new Error(`cannot erase ${node.name}: it is still used by ${users}`);
    }
    node._clearArgs();
    this.#unlink(node);
    this.#count--;
    this.#byName.delete(node.name);
    for (const t of node.outputNames) if (this.#byTensor.get(t) === node) this.#byTensor.delete(t);
  }

  /** Rename a node (IR name; the ONNX node name on save). */
  rename(node: Node, name: string): void {
    if (this.#byName.get(name) && this.#byName.get(name) !== node) throw new Error(`a node named ${name} exists`);
    this.#byName.delete(node.name);
    node.name = name;
    this.#byName.set(name, node);
  }

  /** Change the ONNX tensor names a node produces (its getitem nodes keep theirs). */
  setOutputNames(node: Node, names: string[]): void {
    if (node.kind === "output") throw new Error("the output node produces no tensors");
    for (const t of node.outputNames) if (this.#byTensor.get(t) === node) this.#byTensor.delete(t);
    node.outputNames = names;
    if (!node.isMultiOutput) for (const t of names) if (t) this.#byTensor.set(t, node);
  }

  /** Problems with the graph's invariants; empty when it is well formed. */
  lintProblems(): string[] {
    return lintGraph(this, this.#byName, this.#byTensor);
  }

  /** Throws GraphLintError when an invariant is broken, like fx's Graph.lint(). */
  lint(): void {
    const problems = this.lintProblems();
    if (problems.length > 0) throw new GraphLintError(problems);
  }

  toString(): string {
    return printGraph(this);
  }

  #defaultCallName(opType: string): string {
    return `${opType}_${this.#list().filter((n) => n.opType === opType).length}`;
  }

  /** After the block of inputs and parameters the graph starts with (folded constants may stand further down). */
  #afterLeading(): InsertionPoint {
    let last: Node | undefined;
    for (const n of this.#list()) {
      if (n.kind !== "placeholder" && n.kind !== "parameter") break;
      last = n;
    }
    return last ? { after: last } : { before: this.#first };
  }

  #afterLast(...kinds: NodeKind[]): InsertionPoint {
    let last: Node | undefined;
    for (const n of this.#list()) if (kinds.includes(n.kind)) last = n;
    return last ? { after: last } : { before: this.#first };
  }

  #insert(node: Node, at: InsertionPoint): Node {
    this.#byName.set(node.name, node);
    this.#count++;
    for (const t of node.outputNames) if (t && node.kind !== "call") this.#byTensor.set(t, node);
    if (node.kind === "call" && node.outputNames.length === 1 && node.outputNames[0]) this.#byTensor.set(node.outputNames[0], node);
    this.#place(node, at);
    return node;
  }

  #place(node: Node, at: InsertionPoint): void {
    const prev = "before" in at ? this.#prev.get(at.before) : at.after;
    const next = "before" in at ? at.before : this.#next.get(at.after);
    if (prev) this.#next.set(prev, node);
    else this.#first = node;
    if (next) this.#prev.set(next, node);
    if (prev) this.#prev.set(node, prev);
    if (next) this.#next.set(node, next);
    this.#changed();
  }

  #unlink(node: Node): void {
    const prev = this.#prev.get(node);
    const next = this.#next.get(node);
    if (prev) {
      if (next) this.#next.set(prev, next);
      else this.#next.delete(prev);
    } else if (next) {
      this.#first = next;
    }
    if (next) {
      if (prev) this.#prev.set(next, prev);
      else this.#prev.delete(next);
    }
    this.#prev.delete(node);
    this.#next.delete(node);
    this.#changed();
  }

  #changed(): void {
    this.#array = undefined;
    this.#positions = undefined;
    this.#version++;
  }

  /**
   * Changes with every change of the graph: a node added, erased or moved, or a node's arguments set. What is derived
   * from the whole graph (graph/shape-operands.ts) is kept for one version.
   */
  get version(): number {
    return this.#version;
  }

  /** @internal — Node's args setter: the order stands, the dataflow changed. */
  argsChanged(): void {
    this.#version++;
  }

  #list(): Node[] {
    if (!this.#array) {
      const array: Node[] = [];
      for (let n: Node | undefined = this.#first; n; n = this.#next.get(n)) array.push(n);
      this.#array = array;
    }
    return this.#array;
  }
}
