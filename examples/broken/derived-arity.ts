// Rule 3: three sources, but the derive function reads two observers.
import { DerivedQuantizationSpec, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation, weightPerTensor } from "./common";

export default class DerivedArity extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const [input, weight, bias] = [conv.args[0]!, conv.args[1]!, conv.args[2]!];
    const biasSpec = new DerivedQuantizationSpec({ // expect: derived-arity-mismatch
      derivedFrom: [[input, conv], [weight, conv], [input, conv]],
      deriveQparams: ([act, w]) => ({ scale: act.calculateQparams().scale[0]! * w.calculateQparams().scale[0]!, zeroPoint: 0 }),
      dtype: "int32",
      qscheme: "per_tensor_symmetric",
    });
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[input, activation], [weight, weightPerTensor], [bias, biasSpec]],
      outputQspec: activation,
    });
    return model;
  }
}
