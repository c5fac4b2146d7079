// Rule 4: a fixed scale of zero.
import { FixedQParamsQuantizationSpec, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";

export default class FixedScale extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const spec = new FixedQParamsQuantizationSpec({ dtype: "uint8", scale: 0, zeroPoint: 0 }); // expect: fixed-scale-invalid
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
