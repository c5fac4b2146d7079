// Rule 1: the two inputs of the residual Add each share with the other, so neither has an observer.
import { Quantizer, QuantizationAnnotation, SharedQuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class SharedCycle extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const add = model.graph.node("/Add")!;
    const [a, b] = [add.args[0]!, add.args[1]!];
    const fromA = new SharedQuantizationSpec([b, add]); // expect: shared-spec-cycle
    const fromB = new SharedQuantizationSpec([a, add]); // related: shared-spec-cycle
    add.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[a, fromA], [b, fromB]], outputQspec: activation });
    return model;
  }
}
