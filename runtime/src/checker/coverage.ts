import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { annotationOf } from "../quantizer/annotation.js";
import { isSpec } from "../quantizer/specs.js";
import { finding, type Finding } from "./finding.js";
import { LOWERED_OP_TYPES } from "../qkit-ops/capabilities.js";
import { elementwiseChains, lowersAsAnnotated } from "./lowers-as-annotated.js";

/** Op types the int8 runtime executes on integer kernels when they are quantized: those the int8 lowering lowers. */
export const INT8_OP_TYPES = LOWERED_OP_TYPES;

export interface CoverageRow {
  opType: string;
  total: number;
  annotated: number;
  float: number;
  /** Annotated nodes the int8 runtime cannot execute, and float nodes stuck between quantized neighbours. */
  notInt8: number;
  notInt8Nodes: string[];
}

export interface Coverage {
  rows: CoverageRow[];
  annotated: number;
  total: number;
}

function hasSpecs(node: Node): boolean {
  const a = annotationOf(node);
  return !!a && ([...a.inputQspecMap.values()].some(isSpec) || isSpec(a.outputQspec));
}

/** A node's output is quantized if it has an output spec or a user quantizes the edge from it. */
function outputQuantized(node: Node): boolean {
  if (isSpec(annotationOf(node)?.outputQspec)) return true;
  for (const user of node.users) if (isSpec(annotationOf(user)?.inputQspecMap.get(node))) return true;
  return false;
}

/** Rule 9: per op type, how much is annotated, left float, or cannot run on int8 kernels as annotated. */
export function computeCoverage(graph: Graph, opset = 17): Coverage {
  const rows = new Map<string, CoverageRow>();
  const chains = elementwiseChains(graph, opset);
  for (const node of graph.calls()) {
    const row = rows.get(node.opType) ?? { opType: node.opType, total: 0, annotated: 0, float: 0, notInt8: 0, notInt8Nodes: [] };
    rows.set(node.opType, row);
    row.total++;
    const annotated = hasSpecs(node);
    if (annotated) row.annotated++;
    else row.float++;
    const activations = node.args.filter((a): a is Node => !!a && a.kind !== "parameter");
    const sandwiched = !annotated && activations.length > 0 && activations.every(outputQuantized) && [...node.users].some((u) => hasSpecs(u));
    // Int8 exactly where lower() will lower the converted model (lowers-as-annotated.ts reads its rules' conditions
    // off the annotations), so this table and `qkit inspect --lowered` agree.
    if ((annotated || sandwiched) && !lowersAsAnnotated(node, chains)) {
      row.notInt8++;
      row.notInt8Nodes.push(node.name);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => b.total - a.total || a.opType.localeCompare(b.opType));
  return { rows: sorted, annotated: sorted.reduce((n, r) => n + r.annotated, 0), total: sorted.reduce((n, r) => n + r.total, 0) };
}

export function coverageFinding(coverage: Coverage): Finding {
  const float = coverage.rows.filter((r) => r.float > 0).map((r) => `${r.opType} ${r.float}`).join(", ");
  const notInt8 = coverage.rows.flatMap((r) => r.notInt8Nodes);
  const parts = [`${coverage.annotated} of ${coverage.total} operators annotated`];
  if (float) parts.push(`left float: ${float}`);
  if (notInt8.length) parts.push(`${notInt8.length} will run in fp32 between quantized neighbours or on an op without int8 kernels (${notInt8.slice(0, 3).join(", ")}${notInt8.length > 3 ? ", …" : ""})`);
  return finding("coverage", parts.join("; "), undefined, { nodes: notInt8 });
}
