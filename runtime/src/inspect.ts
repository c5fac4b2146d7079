import type { Model, OpsetImport } from "./model.js";
import type { Dim, Node } from "./graph/node.js";
import { tensorByteLength, tensorDims } from "./onnx/tensor-data.js";
import type { NormalizationReport } from "./graph/normalize.js";

export interface ValueSummary {
  name: string;
  dtype: string;
  shape: Dim[] | null;
}

export interface TensorGroupSummary {
  count: number;
  /** Number of stored elements. */
  values: number;
  bytes: number;
}

/** The facts `qkit inspect` reports, as data. */
export interface ModelSummary {
  file: string;
  irVersion: number;
  producer: string;
  opsets: OpsetImport[];
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Operator counts by op type (domain-qualified outside ai.onnx), most frequent first. */
  opTypes: Record<string, number>;
  nodes: number;
  /** Parameters stored as initializers, and those that were Constant nodes in the file. */
  parameters: { initializers: TensorGroupSummary; constants: TensorGroupSummary };
  normalization: NormalizationReport;
  modules: { count: number; depth: number };
}

function value(node: Node): ValueSummary {
  return { name: node.valueName, dtype: node.meta.dtype ?? "unknown", shape: node.meta.shape ?? null };
}

export function summarizeModel(model: Model): ModelSummary {
  const graph = model.graph;
  const counts = new Map<string, number>();
  for (const node of graph.calls()) {
    const key = node.domain && node.domain !== "ai.onnx" ? `${node.domain}::${node.opType}` : node.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const opTypes = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  const group = (nodes: Node[]): TensorGroupSummary => ({
    count: nodes.length,
    values: nodes.reduce((n, p) => n + tensorDims(p.tensor!).reduce((a, b) => a * b, 1), 0),
    bytes: nodes.reduce((n, p) => n + tensorByteLength(p.tensor!), 0),
  });
  const params = graph.parameters();
  const modules = new Set<string>();
  let depth = 0;
  for (const node of graph.nodes) {
    const stack = node.meta.moduleStack ?? [];
    depth = Math.max(depth, stack.length);
    for (const frame of stack) modules.add(frame.path);
  }
  return {
    file: model.source,
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(" "),
    opsets: model.opsetImports,
    inputs: graph.placeholders().map(value),
    outputs: graph.outputs.map(value),
    opTypes,
    nodes: graph.calls().length,
    parameters: {
      initializers: group(params.filter((p) => p.meta.origin !== "constant")),
      constants: group(params.filter((p) => p.meta.origin === "constant")),
    },
    normalization: model.normalization,
    modules: { count: modules.size, depth },
  };
}
