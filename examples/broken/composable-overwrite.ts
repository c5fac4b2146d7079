// Rule 8: the second quantizer of a ComposableQuantizer replaces the annotation the first made on relu1.
import { ComposableQuantizer, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

class ReluQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    for (const relu of model.graph.calls("Relu")) {
      relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation }); // related: composable-overwrite
    }
    return model;
  }
}

class GreedyQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu.args[0]!, activation]] }); // expect: composable-overwrite
    return model;
  }
}

export default class Both extends ComposableQuantizer {
  constructor() {
    super([new ReluQuantizer(), new GreedyQuantizer()]);
  }
}
