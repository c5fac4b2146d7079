// Rule 7 (warning): conv1's output and relu1's input differ only in quantMax, so a dequantize → quantize pair appears.
import { HistogramObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class AlmostShared extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const relu = model.graph.node("/relu1/Relu")!;
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, activation]], outputQspec: activation }); // related: redundant-requantization
    const almost = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 126, qscheme: "per_tensor_affine", observer: HistogramObserver }); // expect: redundant-requantization
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv, almost]], outputQspec: activation });
    return model;
  }
}
