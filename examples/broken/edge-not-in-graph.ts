// Rule 2: conv1 does not feed the Gemm, so [conv1, fc] is not an edge of the graph.
import { Quantizer, QuantizationAnnotation, SharedQuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class NoSuchEdge extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const gemm = model.graph.node("/fc/Gemm")!;
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, activation]] });
    gemm.meta.quantizationAnnotation = new QuantizationAnnotation({
      outputQspec: new SharedQuantizationSpec([conv, gemm]), // expect: edge-not-in-graph
    });
    return model;
  }
}
