// Rule 4: a fixed zero point outside the int8 range.
import { FixedQParamsQuantizationSpec, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";

export default class FixedZeroPoint extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const spec = new FixedQParamsQuantizationSpec({ dtype: "int8", scale: 1 / 256, zeroPoint: 128 }); // expect: fixed-zero-point-out-of-range
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
