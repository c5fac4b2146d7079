// Rule 5: the conv weight has rank 4, axis 4 does not exist.
import { PerChannelMinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class AxisOutOfRange extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv1/Conv")!;
    const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_channel_symmetric", chAxis: 4, observer: PerChannelMinMaxObserver }); // expect: ch-axis-out-of-range
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, activation], [conv.args[1]!, weight]], outputQspec: activation });
    return model;
  }
}
