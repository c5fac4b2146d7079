import type { onnx } from "../onnx/proto.js";
import type { Node } from "./node.js";
import type { Graph } from "./graph.js";

/** The subgraphs a node's attributes hold (an If's branches, a Loop's or Scan's body). */
export function subgraphsOf(attributes: Iterable<onnx.IAttributeProto>): onnx.IGraphProto[] {
  const graphs: onnx.IGraphProto[] = [];
  for (const a of attributes) {
    if (a.g) graphs.push(a.g);
    if (a.graphs) graphs.push(...a.graphs);
  }
  return graphs;
}

/**
 * The names a subgraph reads from the scopes around it: every tensor its nodes (and theirs, at any depth) read that
 * it does not define itself as an input, an initializer or a node output. ONNX lets a subgraph read any value of an
 * enclosing graph by name, without listing it as an input.
 */
export function outerNames(graph: onnx.IGraphProto): string[] {
  const defined = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ""),
    ...(graph.initializer ?? []).map((t) => t.name ?? ""),
    ...(graph.sparseInitializer ?? []).map((t) => t.values?.name ?? ""),
  ]);
  const read = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const name of node.input ?? []) if (name && !defined.has(name)) read.add(name);
    for (const sub of subgraphsOf(node.attribute ?? [])) for (const name of outerNames(sub)) if (!defined.has(name)) read.add(name);
    for (const name of node.output ?? []) if (name) defined.add(name);
  }
  // A name read before the node that defines it (in a graph not in topological order) is still defined inside.
  return [...read].filter((name) => !defined.has(name));
}

/** The values of the node's graph that its subgraphs read by name (none for most nodes). */
export function implicitInputs(node: Node, producerOf: (name: string) => Node | undefined): Node[] {
  const values: Node[] = [];
  for (const sub of subgraphsOf(node.attributes.values())) {
    for (const name of outerNames(sub)) {
      const value = producerOf(name);
      if (value && !values.includes(value)) values.push(value);
    }
  }
  return values;
}

/** The values of `graph` that some node's subgraphs read by name. */
export function valuesReadByName(graph: Graph): Node[] {
  const values = new Set<Node>();
  for (const node of graph.calls()) for (const v of implicitInputs(node, (name) => graph.producerOf(name))) values.add(v);
  return [...values];
}

/**
 * The values a pass that fuses or removes nodes must keep as they are: the graph's outputs, and the values its
 * subgraphs read by name (which no node lists as an argument).
 */
export function keptValues(graph: Graph): Set<Node> {
  return new Set([...graph.outputs, ...valuesReadByName(graph)]);
}
