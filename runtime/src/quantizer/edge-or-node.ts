import type { Node } from "../graph/node.js";
import { formatName } from "../graph/print.js";

/**
 * PT2E's EdgeOrNode: a Node stands for its output value; a pair [producer, consumer] is the input edge through which
 * the consumer reads the producer's value.
 */
export type Edge = readonly [Node, Node];
export type EdgeOrNode = Node | Edge;

export function isEdge(x: EdgeOrNode): x is Edge {
  return Array.isArray(x);
}

/** A stable identity for a slot, used as a map key (Nodes are compared by identity, so names suffice in one graph). */
export function slotKey(x: EdgeOrNode): string {
  return isEdge(x) ? `edge:${x[0]?.name}->${x[1]?.name}` : `node:${x.name}`;
}

export function describeSlot(x: EdgeOrNode): string {
  if (isEdge(x)) return `edge ${x[0] ? formatName(x[0].name) : "?"} → ${x[1] ? formatName(x[1].name) : "?"}`;
  return `output of ${formatName(x.name)}`;
}
