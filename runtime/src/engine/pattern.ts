import type { Node, NodeArg } from "../graph/node.js";
import type { OpDef } from "./op.js";

// What the plan-time patterns (fuse-*.ts) share: the shape of their answer, and the tests they all make.

/** A node run as another operator on other arguments (the last node of a pattern that runs as one kernel). */
export interface Rewrite {
  def: OpDef;
  args: NodeArg[];
}

/** What the plan asks of a pattern: each rewritten node, and "skip" for the nodes the rewrite makes unnecessary. */
export type Rewrites = Map<Node, Rewrite | "skip">;

/** A standard-domain call of the given op type. */
export function isCall(arg: NodeArg | undefined, opType: string): arg is Node {
  return !!arg && arg.kind === "call" && arg.opType === opType && (arg.domain === "" || arg.domain === "ai.onnx");
}

/** Whether a node's value may vanish into a pattern: no graph output, and every user is one of `inside`. */
export function internal(node: Node, inside: ReadonlySet<Node>, outputs: ReadonlySet<Node>): boolean {
  return !outputs.has(node) && [...node.users].every((u) => inside.has(u));
}
