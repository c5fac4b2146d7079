import type { Node } from "../graph/node.js";

/**
 * Sets some of a node's arguments by position, in one update of the graph's users (optional inputs past its last
 * argument become null first): how a fold moves parameters from the node it removes onto the node it keeps. The
 * values are read by the caller before any is set.
 */
export function withArgs(node: Node, set: readonly (readonly [at: number, value: Node | null | undefined])[]): void {
  const args = [...node.args];
  for (const [at, value] of set) {
    while (args.length <= at) args.push(null);
    args[at] = value ?? null;
  }
  node.args = args;
}
