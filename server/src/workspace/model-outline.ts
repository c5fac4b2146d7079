import { Graph, Model, onnx, type Node, type NodeMeta } from "qkit/tooling";

/**
 * A loaded model as plain data, in batches: the load worker decodes, sorts, normalizes and infers shapes off the
 * server's thread, then posts the graph batch by batch; the server rebuilds it one batch per turn of its event loop,
 * so requests are answered while a large model arrives. What the server's features read of a model survives (names,
 * kinds, op types, args, attributes, dtypes, shapes, module stacks); parameters keep their type and dims, not their
 * data: checks and calibration decode the file themselves.
 */
export interface OutlineNode {
  kind: Node["kind"];
  name: string;
  opType: string;
  domain: string;
  outputNames: string[];
  /** Positions of the args in the whole node list (-1 for an omitted input). */
  args: number[];
  /** Encoded AttributeProtos (they hold 64-bit integers, which structured cloning would not keep as Longs). */
  attributes: Uint8Array[];
  meta: Pick<NodeMeta, "dtype" | "shape" | "moduleStack" | "origin">;
  tensor?: { dataType: number; dims: number[] };
}

export interface OutlineHeader {
  graphName: string;
  nodeCount: number;
  opsetImports: { domain: string; version: number }[];
  irVersion: number;
  externalDataLocations: string[];
}

/** The model's header and its nodes in order, `batch` at a time. */
export function* outline(model: Model, batch: number): Generator<OutlineHeader | OutlineNode[]> {
  const nodes = model.graph.nodes;
  const position = new Map(nodes.map((n, i) => [n, i]));
  yield {
    graphName: model.graph.name,
    nodeCount: nodes.length,
    opsetImports: model.opsetImports,
    irVersion: model.irVersion,
    externalDataLocations: model.externalDataLocations,
  };
  for (let at = 0; at < nodes.length; at += batch) {
    yield nodes.slice(at, at + batch).map((n): OutlineNode => ({
      kind: n.kind,
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      outputNames: n.outputNames,
      args: n.args.map((a) => (a ? position.get(a)! : -1)),
      attributes: [...n.attributes.values()].map((a) => onnx.AttributeProto.encode(a).finish()),
      meta: { dtype: n.meta.dtype, shape: n.meta.shape, moduleStack: n.meta.moduleStack, origin: n.meta.origin },
      ...(n.tensor ? { tensor: { dataType: n.tensor.dataType ?? 0, dims: (n.tensor.dims ?? []).map(Number) } } : {}),
    }));
  }
}

/** What a richer outline (a check sandbox's snapshot) adds: the parameters' tensors, and more of each node. */
export interface OutlineHooks {
  tensor?(o: OutlineNode): onnx.ITensorProto;
  node?(node: Node, o: OutlineNode): void;
}

/** Rebuilds a model from its outline, a batch at a time (`add`), through the graph's own mutation API. */
export class OutlineBuilder {
  readonly model: Model;
  readonly #nodes: Node[] = [];

  constructor(readonly header: OutlineHeader, source: string, private readonly hooks: OutlineHooks = {}) {
    const graph = new Graph();
    graph.name = header.graphName;
    this.model = new Model(graph);
    this.model.source = source;
    this.model.opsetImports = header.opsetImports;
    this.model.irVersion = header.irVersion;
    this.model.externalDataLocations = header.externalDataLocations;
  }

  get done(): boolean {
    return this.#nodes.length >= this.header.nodeCount;
  }

  add(batch: OutlineNode[]): void {
    const graph = this.model.graph;
    const end = { before: graph.outputNode };
    for (const o of batch) {
      const args = o.args.map((i) => (i < 0 ? null : this.#nodes[i]!));
      let node: Node;
      switch (o.kind) {
        case "placeholder": node = graph.addPlaceholder(o.outputNames[0] ?? o.name); break;
        case "parameter": node = graph.addParameter(o.outputNames[0] ?? o.name, this.hooks.tensor?.(o) ?? new onnx.TensorProto({ name: o.outputNames[0] ?? o.name, ...o.tensor }), end); break;
        case "call":
          node = graph.addCall(o.opType, args, {
            name: o.name, domain: o.domain, outputNames: o.outputNames,
            attributes: o.attributes.map((bytes) => onnx.AttributeProto.decode(bytes)),
          }, end);
          break;
        case "getitem": node = graph.getitems(args[0]!)[this.#getitemIndex(o, args[0]!)]!; break;
        case "output": node = graph.outputNode; graph.outputs = args.filter((a): a is Node => a !== null); break;
      }
      if (node.name !== o.name) graph.rename(node, o.name);
      Object.assign(node.meta, withoutUndefined(o.meta));
      this.hooks.node?.(node, o);
      this.#nodes.push(node);
    }
  }

  #getitemIndex(o: OutlineNode, call: Node): number {
    return call.outputNames.indexOf(o.outputNames[0]!);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
