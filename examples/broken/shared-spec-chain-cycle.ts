// Rule 1: a chain over nodes and edges that comes back to its start: pool1 output → (pool1, conv2) → pool1 output.
import { Quantizer, QuantizationAnnotation, SharedQuantizationSpec, type GraphModule } from "qkit";
import { activation, weightPerTensor } from "./common";

export default class ChainCycle extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const pool = model.graph.node("/pool1/MaxPool")!;
    const conv = model.graph.node("/conv2/Conv")!;
    pool.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[pool.args[0]!, activation]],
      outputQspec: new SharedQuantizationSpec([pool, conv]), // expect: shared-spec-cycle
    });
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[pool, new SharedQuantizationSpec(pool)], [conv.args[1]!, weightPerTensor]], // related: shared-spec-cycle
      outputQspec: activation,
    });
    return model;
  }
}
