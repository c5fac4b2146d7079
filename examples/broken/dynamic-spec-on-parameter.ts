// Rule 6: a weight (a parameter) annotated with a dynamic spec.
import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class DynamicWeight extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", isDynamic: true, observer: MinMaxObserver }); // expect: dynamic-spec-on-parameter
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, activation], [conv.args[1]!, weight]], outputQspec: activation });
    return model;
  }
}
