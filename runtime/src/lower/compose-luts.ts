// A requantizing QLut (op Identity: a layout op's output parameters differ from its input's) whose codes only move
// through layout ops into another QLut: the second table takes the first's rounding as its intermediate parameters,
// and the first pass over the tensor disappears (attention's q slice, requantized, reshaped, then scaled by 1/√d).
import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { QKIT_DOMAIN, qkitInputs } from "../qkit-ops/schema.js";
import { withArgs } from "./with-args.js";

const MOVES_CODES = new Set(["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten"]);
const QLUT = qkitInputs("QLut");

function isQlut(node: Node | null | undefined): node is Node {
  return !!node && node.kind === "call" && node.domain === QKIT_DOMAIN && node.opType === "QLut";
}

/** A value read once, by data (a Shape reads only its shape, which the composed chain keeps). */
function readOnce(node: Node): boolean {
  return [...node.users].filter((u) => u.opType !== "Shape").length === 1 && !node.graph.outputs.includes(node);
}

/** Fold every such requantizing QLut into the QLut after it; returns the names of the QLuts folded away. */
export function composeLuts(graph: Graph): string[] {
  const folded: string[] = [];
  for (const last of graph.calls()) {
    if (!isQlut(last) || last.args[QLUT.midScale]) continue;
    let first = last.args[QLUT.x];
    const moves: Node[] = [];
    while (first && first.kind === "call" && (first.domain === "" || first.domain === "ai.onnx") && MOVES_CODES.has(first.opType) && readOnce(first)) {
      moves.push(first);
      first = first.args[0];
    }
    if (!isQlut(first) || first.stringAttribute("op", "Identity") !== "Identity" || first.args[QLUT.midScale] || !readOnce(first)) continue;
    if (first.attributes.has("clamp_min") || first.attributes.has("clamp_max")) continue;
    const x = first.args[QLUT.x]!;
    if (x.meta.dtype !== first.meta.dtype) continue;
    const reader = [...first.users].find((u) => u.opType !== "Shape")!;
    reader.replaceInput(first, x);
    first.replaceAllUsesWith(x);
    withArgs(last, [
      [QLUT.xScale, first.args[QLUT.xScale]], [QLUT.xZeroPoint, first.args[QLUT.xZeroPoint]],
      [QLUT.midScale, first.args[QLUT.yScale]], [QLUT.midZeroPoint, first.args[QLUT.yZeroPoint]],
    ]);
    // The moved codes are no longer the requantized tensor they were named after: they get names of their own.
    for (const n of moves) graph.setOutputNames(n, [graph.uniqueTensorName(`${n.valueName}_unrequantized`)]);
    folded.push(first.name);
    graph.eraseNode(first);
  }
  return folded;
}
