import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { SharedQuantizationSpec } from "../quantizer/specs.js";
import { annotate, annotateConcat, annotateSharedWithInput, annotateWeighted, isActivation, soleUser } from "./annotate.js";
import { getSymmetricQuantizationConfig, type QuantizationConfig } from "./config.js";
import { ConfigurableQuantizer } from "./configurable-quantizer.js";

/** Ops that keep their input's qparams (PT2E's _is_share_obs_or_fq_op), as ONNX op types. */
const SHARES_INPUT_QPARAMS = ["Relu", "Clip", "MaxPool", "ReduceMean", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Flatten", "Slice"];

/**
 * PT2E's XNNPACKQuantizer on ONNX graphs: conv(-relu), conv-transpose(-relu), gemm/matmul(-relu), add(-relu),
 * mul(-relu), concat sharing one observer, global average pool, then ops that keep their input's qparams. The default
 * is `getSymmetricQuantizationConfig({ isPerChannel: true })`. Unlike PT2E's, the bias is quantized to int32
 * (s_input · s_weight), which integer kernels need.
 */
export class XnnpackQuantizer extends ConfigurableQuantizer {
  constructor(config: QuantizationConfig | null = getSymmetricQuantizationConfig({ isPerChannel: true })) {
    super();
    this.setGlobal(config);
  }

  protected annotatePatterns(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void {
    for (const node of graph.calls("Conv", "ConvTranspose", "Gemm", "MatMul")) {
      if (!accept(node)) continue;
      const relu = soleUser(node, "Relu");
      if (relu && accept(relu)) {
        if (annotateWeighted(node, config, relu)) annotate(relu, [], config.outputActivation);
      } else {
        annotateWeighted(node, config);
      }
    }
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
