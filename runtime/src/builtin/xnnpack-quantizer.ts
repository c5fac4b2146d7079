import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { SharedQuantizationSpec } from "../quantizer/specs.js";
import { annotate, annotateConcat, annotateSharedWithInput, annotateWeighted, isActivation, soleUser } from "./annotate.js";
import { getSymmetricQuantizationConfig, isDynamicConfig, type FloatOpOptions, type QuantizationConfig } from "./config.js";
import { ConfigurableQuantizer } from "./configurable-quantizer.js";
import { annotateActivations, annotateFloatIslands, annotateWeightOnlyOps } from "./shared-patterns.js";
import { linearBias } from "./transformer-patterns.js";

/** Ops that keep their input's qparams (PT2E's _is_share_obs_or_fq_op), as ONNX op types. */
const SHARES_INPUT_QPARAMS = ["Relu", "Clip", "MaxPool", "ReduceMean", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Slice", "Resize", "Gather"];
/** Activations quantized at their input and output, which integer kernels compute by table. */
const ACTIVATIONS = ["Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu"];

/**
 * PT2E's XNNPACKQuantizer on ONNX graphs: conv(-relu), conv-transpose(-relu), linear — Gemm, or MatMul with its bias
 * Add — (-relu), matmul of two activations (attention), add(-relu), mul(-relu) (broadcast too, as squeeze-excite's),
 * SiLU/HardSwish and table activations, concat sharing one observer, global average pool, embeddings and LSTM/GRU
 * weight-only, then ops that keep their input's qparams. LayerNorm, Softmax and GELU stay float unless `floatOps`
 * asks. The default is `getSymmetricQuantizationConfig({ isPerChannel: true })`; a dynamic config quantizes linears and
 * convolutions only, as PT2E's does. Unlike PT2E's, the bias is quantized to int32 (s_input · s_weight), which
 * integer kernels need.
 */
export class XnnpackQuantizer extends ConfigurableQuantizer {
  constructor(config: QuantizationConfig | null = getSymmetricQuantizationConfig({ isPerChannel: true }), readonly floatOps: FloatOpOptions = {}) {
    super();
    this.setGlobal(config);
  }

  protected annotatePatterns(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void {
    annotateFloatIslands(graph, config, accept, this.floatOps);
    for (const node of graph.calls("Conv", "ConvTranspose", "Gemm", "MatMul")) {
      if (!accept(node) || node.args[1]?.kind !== "parameter") continue;
      const bias = node.opType === "MatMul" ? linearBias(node) : undefined;
      const biasAdd = bias && accept(bias.add) ? bias : undefined;
      const last = biasAdd?.add ?? node;
      const relu = soleUser(last, "Relu");
      if (relu && accept(relu) && !isDynamicConfig(config)) {
        if (annotateWeighted(node, config, relu, biasAdd)) annotate(relu, [], config.outputActivation);
      } else {
        annotateWeighted(node, config, last, biasAdd);
      }
    }
    annotateWeightOnlyOps(graph, config, accept);
    if (isDynamicConfig(config)) return;
    for (const node of graph.calls("MatMul")) {
      const [a, b] = node.args;
      if (accept(node) && isActivation(a) && isActivation(b) && config.inputActivation) annotate(node, [[a, config.inputActivation], [b, config.inputActivation]], config.outputActivation);
    }
    annotateActivations(graph, config, accept, ACTIVATIONS);
    for (const node of graph.calls("Add", "Mul")) {
      const [a, b] = node.args;
      if (!accept(node) || !isActivation(a) || !isActivation(b) || !config.inputActivation) continue;
      const relu = soleUser(node, "Relu");
      const fused = relu && accept(relu) ? relu : undefined;
      annotate(node, [[a, config.inputActivation], [b, config.inputActivation]], fused ? undefined : config.outputActivation);
      if (fused) annotate(fused, [], config.outputActivation);
    }
    for (const node of graph.calls("Concat")) if (accept(node)) annotateConcat(node, config);
    for (const node of graph.calls("GlobalAveragePool", "AveragePool")) {
      const input = node.args[0];
      if (!accept(node) || !isActivation(input) || !config.inputActivation) continue;
      annotate(node, [[input, config.inputActivation]], new SharedQuantizationSpec([input, node]));
    }
  }

  protected propagate(graph: Graph): void {
    for (const node of graph.calls(...SHARES_INPUT_QPARAMS)) {
      if (!node.meta.quantizationAnnotation) annotateSharedWithInput(node);
    }
  }
}
