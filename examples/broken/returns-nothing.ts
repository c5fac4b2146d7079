// Rule 10 (warning): annotate does not return the model.
import { Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

export default class ReturnsNothing extends Quantizer { // expect: annotate-returned-nothing
  annotate(model: GraphModule): GraphModule {
    model.graph.node("/relu1/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation });
    return undefined as unknown as GraphModule;
  }
}
