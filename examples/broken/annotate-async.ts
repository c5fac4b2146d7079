// annotate must be synchronous: an async annotate returns a Promise that nothing awaits.
import { Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

export default class AnnotateAsync extends Quantizer { // expect: annotate-async
  async annotate(model: GraphModule): Promise<GraphModule> {
    model.graph.node("/relu1/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation });
    return model;
  }
}
