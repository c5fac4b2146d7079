// Rule 1: a shared spec that shares with its own edge.
import { Quantizer, QuantizationAnnotation, SharedQuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class SharedWithItself extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const input = relu.args[0]!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[input, new SharedQuantizationSpec([input, relu])]], // expect: shared-spec-cycle
      outputQspec: activation,
    });
    return model;
  }
}
