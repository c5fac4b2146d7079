// Rule 2: the shared spec points at the output of conv1, which no annotation gives a spec.
import { Quantizer, QuantizationAnnotation, SharedQuantizationSpec, type GraphModule } from "qkit";

export default class Dangling extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({
      outputQspec: new SharedQuantizationSpec(conv), // expect: shared-spec-dangling
    });
    return model;
  }
}
