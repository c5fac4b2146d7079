// Rule 4: an affine range [10, 255] cannot represent 0.0.
import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

export default class NoZero extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const spec = new QuantizationSpec({ dtype: "uint8", quantMin: 10, quantMax: 255, qscheme: "per_tensor_affine", observer: MinMaxObserver }); // expect: quant-range-excludes-zero
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
