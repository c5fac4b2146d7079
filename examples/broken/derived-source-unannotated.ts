// Rule 3: the bias is derived from the weight edge, but the weight has no spec.
import { DerivedQuantizationSpec, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation } from "./common";

export default class DerivedFromNothing extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const [input, weight, bias] = [conv.args[0]!, conv.args[1]!, conv.args[2]!];
    const biasSpec = new DerivedQuantizationSpec({ // expect: derived-source-unannotated
      derivedFrom: [[input, conv], [weight, conv]],
      deriveQparams: ([act, w]) => ({ scale: act.calculateQparams().scale[0]! * w.calculateQparams().scale[0]!, zeroPoint: 0 }),
      dtype: "int32",
      qscheme: "per_tensor_symmetric",
    });
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[input, activation], [bias, biasSpec]],
      outputQspec: activation,
    });
    return model;
  }
}
