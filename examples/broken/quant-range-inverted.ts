// Rule 4: quantMin above quantMax.
import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

export default class Inverted extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const spec = new QuantizationSpec({ dtype: "uint8", quantMin: 200, quantMax: 10, observer: MinMaxObserver }); // expect: quant-range-inverted
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
