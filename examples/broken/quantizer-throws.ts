// Rule 10: annotate throws (a node name that does not exist); what was annotated before still gets checked.
import { Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

export default class Throws extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation });
    const missing = model.graph.node("/conv9/Conv");
    missing!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation }); // expect: quantizer-threw
    return model;
  }
}
