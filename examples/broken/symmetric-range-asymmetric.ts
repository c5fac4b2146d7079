// Rule 4 (warning): a symmetric scheme over a range that is not centred on zero.
import { MinMaxObserver, Quantizer, QuantizationAnnotation, type GraphModule, QuantizationSpec } from "qkit";

export default class Lopsided extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const spec = new QuantizationSpec({ dtype: "int8", quantMin: -100, quantMax: 127, qscheme: "per_tensor_symmetric", observer: MinMaxObserver }); // expect: symmetric-range-asymmetric
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
