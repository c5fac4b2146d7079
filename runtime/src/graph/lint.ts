import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/**
 * The invariants every Graph keeps (the IR's contract with every pass):
 * - node names are unique, and each tensor name has one producer;
 * - the order is topological: every arg comes earlier than its user, placeholders come first, the output node last;
 * - `users` is exactly the inverse of `args`;
 * - a multi-output call is used only by its getitem nodes, and each getitem names a real output of its call;
 * - parameters carry a tensor; placeholders and parameters take no args.
 */
export function lintGraph(graph: Graph, byName: ReadonlyMap<string, Node>, byTensor: ReadonlyMap<string, Node>): string[] {
  const problems: string[] = [];
  const nodes = graph.nodes;
  const position = new Map<Node, number>();
  nodes.forEach((n, i) => position.set(n, i));

  if (nodes[nodes.length - 1] !== graph.outputNode) problems.push("the output node is not last");
  let seenNonPlaceholder = false;
  const names = new Set<string>();
  const tensors = new Map<string, Node>();
  for (const [i, node] of nodes.entries()) {
    if (node.graph !== graph) problems.push(`${node.name} belongs to another graph`);
    if (names.has(node.name)) problems.push(`two nodes are named ${node.name}`);
    names.add(node.name);
    if (byName.get(node.name) !== node) problems.push(`${node.name} is missing from the name table`);
    if (node.kind === "placeholder" && seenNonPlaceholder) problems.push(`placeholder ${node.name} comes after other nodes`);
    if (node.kind !== "placeholder") seenNonPlaceholder = true;

    const producesValues = node.kind !== "output" && !node.isMultiOutput;
    if (producesValues) {
      for (const t of node.outputNames) {
        if (!t) continue;
        if (tensors.has(t)) problems.push(`tensor ${t} is produced by both ${tensors.get(t)!.name} and ${node.name}`);
        tensors.set(t, node);
        if (byTensor.get(t) !== node) problems.push(`tensor ${t} of ${node.name} is missing from the tensor table`);
      }
    }

    for (const arg of node.args) {
      if (!arg) continue;
      const at = position.get(arg);
      if (at === undefined) problems.push(`${node.name} uses ${arg.name}, which is not in the graph`);
      else if (at >= i) problems.push(`${node.name} uses ${arg.name}, which comes later (the order is not topological)`);
      if (!arg.users.has(node)) problems.push(`${arg.name} does not list its user ${node.name}`);
      if (arg.isMultiOutput && node.kind !== "getitem") problems.push(`${node.name} uses multi-output ${arg.name} directly instead of through a getitem`);
      if (arg.kind === "output") problems.push(`${node.name} uses the output node`);
    }
    for (const user of node.users) {
      if (!user.args.includes(node)) problems.push(`${node.name} lists ${user.name} as a user, but ${user.name} does not use it`);
      if (!position.has(user)) problems.push(`${node.name} lists ${user.name} as a user, but it is not in the graph`);
    }

    switch (node.kind) {
      case "placeholder":
      case "parameter":
        if (node.args.length > 0) problems.push(`${node.kind} ${node.name} has args`);
        if (node.kind === "parameter" && !node.tensor) problems.push(`parameter ${node.name} has no tensor`);
        break;
      case "call":
        if (!node.opType) problems.push(`call ${node.name} has no op type`);
        break;
      case "getitem": {
        const call = node.args[0];
        if (node.args.length !== 1 || !call || !call.isMultiOutput) problems.push(`getitem ${node.name} does not read a multi-output call`);
        else if (node.index >= call.outputNames.length || call.outputNames[node.index] !== node.valueName) {
          problems.push(`getitem ${node.name} reads output ${node.index}, which ${call.name} does not have`);
        }
        break;
      }
      case "output":
        if (node.users.size > 0) problems.push("the output node has users");
        break;
    }
  }
  for (const [name, node] of byName) if (!position.has(node)) problems.push(`the name table lists ${name}, which is not in the graph`);
  return problems;
}
