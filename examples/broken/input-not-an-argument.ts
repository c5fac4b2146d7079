// Rule 6: the inputQspecMap of relu2 is keyed by conv1, which is not one of relu2's inputs.
import { Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

export default class NotAnInput extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu2/Relu")!;
    const conv1 = model.graph.node("/conv1/Conv")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv1, activation]], outputQspec: activation }); // expect: input-not-an-argument
    return model;
  }
}
