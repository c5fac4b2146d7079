// Rule 7: relu3's output has fixed qparams, but the Add makes that edge share the other input's observed qparams.
import { FixedQParamsQuantizationSpec, Quantizer, QuantizationAnnotation, SharedQuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class FixedConflict extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu3/Relu")!;
    const add = model.graph.node("/Add")!;
    const conv5 = model.graph.node("/conv5/Conv")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({
      outputQspec: new FixedQParamsQuantizationSpec({ dtype: "int8", scale: 1 / 16, zeroPoint: -128 }), // related: fixed-qparams-conflict
    });
    add.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[conv5, activation], [relu, new SharedQuantizationSpec([conv5, add])]], // expect: fixed-qparams-conflict
      outputQspec: activation,
    });
    return model;
  }
}
