// x · f(x) with the gate quantized between the two — hardswish and SiLU as exporters write them, Mul(x, HardSigmoid(x))
// and Mul(x, Sigmoid(x)), quantized node by node — lowers to a QLut table for the gate and a QMul of x by its codes.
// Both read nothing but x's codes, so the product is itself a function of one byte: the gate's table takes the
// multiply as its last step (gateScale/gateZeroPoint, QMul's arithmetic), and one pass and one multiply per element
// disappear.
import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { QKIT_DOMAIN, qkitInputs } from "../qkit-ops/schema.js";
import { withArgs } from "./with-args.js";

const QLUT = qkitInputs("QLut");
const QMUL = qkitInputs("QMul");
const BYTES = new Set(["uint8", "int8"]);

function isQkit(node: Node | null | undefined, opType: string): node is Node {
  return !!node && node.kind === "call" && node.domain === QKIT_DOMAIN && node.opType === opType;
}

const hasClamp = (node: Node) => node.attributes.has("clamp_min") || node.attributes.has("clamp_max");

/** The operand sides of a QMul that is x times a table of x: the gate's side first. */
function gateSide(mul: Node): { gate: Node; x: "a" | "b"; g: "a" | "b" } | undefined {
  for (const [g, x] of [["b", "a"], ["a", "b"]] as const) {
    const gate = mul.args[QMUL[g]];
    if (!isQkit(gate, "QLut") || gate.args[QLUT.midScale] || gate.args[QLUT.gateScale]) continue;
    if (gate.args[QLUT.x] !== mul.args[QMUL[x]] || mul.args[QMUL[x]] === gate) continue;
    // Each code read with the parameters it was quantized with: x's by both, the gate's by the multiply.
    const same = (p: Node | null | undefined, q: Node | null | undefined) => (p ?? null) === (q ?? null);
    if (!same(mul.args[QMUL[`${x}Scale`]], gate.args[QLUT.xScale]) || !same(mul.args[QMUL[`${x}ZeroPoint`]], gate.args[QLUT.xZeroPoint])) continue;
    if (!same(mul.args[QMUL[`${g}Scale`]], gate.args[QLUT.yScale]) || !same(mul.args[QMUL[`${g}ZeroPoint`]], gate.args[QLUT.yZeroPoint])) continue;
    return { gate, x, g };
  }
  return undefined;
}

/** Fold every such multiply into its gate's table; returns the QMuls folded away, by name, with their table's. */
export function foldSelfProducts(graph: Graph): Map<string, string> {
  const folded = new Map<string, string>();
  for (const mul of graph.calls()) {
    if (!isQkit(mul, "QMul") || hasClamp(mul)) continue;
    const found = gateSide(mul);
    if (!found) continue;
    const { gate } = found;
    if (gate.users.size !== 1 || graph.outputs.includes(gate)) continue;
    if (![gate.args[QLUT.x]?.meta.dtype, gate.meta.dtype, mul.meta.dtype].every((t) => BYTES.has(t ?? ""))) continue;
    withArgs(gate, [
      [QLUT.gateScale, gate.args[QLUT.yScale]], [QLUT.gateZeroPoint, gate.args[QLUT.yZeroPoint]],
      [QLUT.yScale, mul.args[QMUL.yScale]], [QLUT.yZeroPoint, mul.args[QMUL.yZeroPoint]],
    ]);
    mul.replaceAllUsesWith(gate);
    const tensor = mul.valueName;
    gate.meta.dtype = mul.meta.dtype;
    gate.meta.shape = mul.meta.shape;
    graph.eraseNode(mul);
    graph.setOutputNames(gate, [tensor]);
    folded.set(mul.name, gate.name);
  }
  return folded;
}
