// Rule 3: a per-channel derived bias without chAxis.
import { DerivedQuantizationSpec, Quantizer, QuantizationAnnotation, type GraphModule } from "qkit";
import { activation, weightPerChannel } from "./common";

export default class DerivedNoAxis extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const [input, weight, bias] = [conv.args[0]!, conv.args[1]!, conv.args[2]!];
    const biasSpec = new DerivedQuantizationSpec({ // expect: derived-per-channel-without-axis
      derivedFrom: [[input, conv], [weight, conv]],
      deriveQparams: ([act, w]) => ({ scale: w.calculateQparams().scale.map((s) => s * act.calculateQparams().scale[0]!), zeroPoint: 0 }),
      dtype: "int32",
      qscheme: "per_channel_symmetric",
    });
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({
      inputQspecMap: [[input, activation], [weight, weightPerChannel], [bias, biasSpec]],
      outputQspec: activation,
    });
    return model;
  }
}
