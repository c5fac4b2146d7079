// Rule 6: a node of another graph used as an inputQspecMap key.
import { Graph, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

export default class ForeignNode extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const other = new Graph();
    const stranger = other.addPlaceholder("input");
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[stranger, activation]], outputQspec: activation }); // expect: node-from-another-graph
    return model;
  }
}
