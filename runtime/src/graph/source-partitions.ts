import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/**
 * The nodes that came from one source operator, as torch.fx's get_source_partitions returns them. In an ONNX graph
 * an operator is one call node (with its getitem nodes when it has several outputs).
 */
export interface SourcePartition {
  /** Every node of the partition: the call and its getitems. */
  nodes: Node[];
  /** The op type it was matched by. */
  source: string;
  /** Nodes outside the partition whose values it reads (parameters excluded). */
  inputNodes: Node[];
  /** Nodes of the partition whose values are read outside it or are graph outputs. */
  outputNodes: Node[];
  /** Parameter nodes it reads (weights, biases, constants). */
  params: Node[];
}

/**
 * Partitions of the graph for each of `opTypes`, keyed by op type, like PT2E's dict: every requested op type is a key
 * (with an empty list when the graph has none), so `partitions.Conv` needs no `!`. `filter` sees each candidate call
 * node and may reject it.
 */
export function getSourcePartitions<const OpType extends string>(
  graph: Graph,
  opTypes: readonly OpType[],
  filter?: (node: Node) => boolean,
): Record<OpType, SourcePartition[]> {
  const result = {} as Record<OpType, SourcePartition[]>;
  for (const opType of opTypes) result[opType] = [];
  const graphOutputs = new Set(graph.outputs);
  for (const node of graph.nodes) {
    if (node.kind !== "call" || !Object.hasOwn(result, node.opType)) continue;
    if (filter && !filter(node)) continue;
    const members = node.isMultiOutput ? [node, ...graph.getitems(node).filter((n): n is Node => !!n)] : [node];
    const inside = new Set(members);
    const args = node.args.filter((a): a is Node => !!a);
    const outputNodes = members.filter(
      (m) => (m.kind !== "call" || !m.isMultiOutput) && ([...m.users].some((u) => !inside.has(u)) || graphOutputs.has(m)),
    );
    result[node.opType as OpType].push({
      nodes: members,
      source: node.opType,
      inputNodes: unique(args.filter((a) => a.kind !== "parameter")),
      outputNodes,
      params: unique(args.filter((a) => a.kind === "parameter")),
    });
  }
  return result;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
