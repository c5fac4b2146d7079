// Rule 10 (warning): the quantizer looks for an op type the model does not have, so it annotates nothing.
import { Quantizer, QuantizationAnnotation, getSourcePartitions, type GraphModule } from "qkit";
import { activation } from "./common";

export default class AnnotatesNothing extends Quantizer { // expect: nothing-annotated
  annotate(model: GraphModule): GraphModule {
    for (const partition of getSourcePartitions(model.graph, ["Linear"]).Linear) {
      partition.outputNodes[0]!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation });
    }
    return model;
  }
}
