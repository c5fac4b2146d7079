import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { annotateDecomposed, annotateUnary, annotateWeightOnly, claim } from "./annotate.js";
import { isDynamicConfig, type FloatOpOptions, type QuantizationConfig } from "./config.js";
import { gatedByItself, geluChains } from "./transformer-patterns.js";

/**
 * GELU, LayerNorm and Softmax: claimed and left float unless an option quantizes them. Runs before the binary
 * patterns, which would otherwise take the Add and Mul inside GELU's Erf chain.
 */
export function annotateFloatIslands(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean, options: FloatOpOptions): void {
  const dynamic = isDynamicConfig(config);
  for (const gelu of geluChains(graph)) {
    if (gelu.nodes.every(accept)) annotateDecomposed(gelu, config, !dynamic && options.quantizeGelu === true);
  }
  for (const [opType, quantize] of [["LayerNormalization", options.quantizeLayerNorm], ["Softmax", options.quantizeSoftmax]] as const) {
    for (const node of graph.calls(opType)) {
      if (!accept(node)) continue;
      if (dynamic || !quantize || !annotateUnary(node, config)) claim(node);
    }
  }
}

/**
 * Constants read through a lookup or a recurrence, as ONNX Runtime quantizes them: an embedding table (Gather of a
 * constant by integer ids), per row; LSTM and GRU input and recurrence weights (W, R), per gate row. Activations stay
 * float.
 */
export function annotateWeightOnlyOps(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void {
  for (const node of graph.calls("Gather")) {
    if (accept(node) && node.args[0]?.kind === "parameter" && node.args[1] && !node.args[1].isFloatValue) annotateWeightOnly(node, config, [[0, 0]]);
  }
  for (const node of graph.calls("LSTM", "GRU")) if (accept(node)) annotateWeightOnly(node, config, [[1, 1], [2, 1]]);
}

/**
 * SiLU and HardSwish as exporters write them (x · Sigmoid(x), x · HardSigmoid(x)) quantized as one op, then the
 * single-op activations among `opTypes`: quantized input and output, float inside.
 */
export function annotateActivations(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean, opTypes: readonly string[]): void {
  if (isDynamicConfig(config)) return;
  for (const op of gatedByItself(graph)) if (op.nodes.every(accept)) annotateDecomposed(op, config, true);
  for (const node of graph.calls(...opTypes)) if (accept(node)) annotateUnary(node, config);
}
