// Rule 5: conv2's weight is [32, 16, 3, 3]; per channel along axis 1 gives 16 scales for 32 output channels.
import { PerChannelMinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";
import { activation } from "./common";

export default class WrongChannelAxis extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const conv = model.graph.node("/conv2/Conv")!;
    const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_channel_symmetric", chAxis: 1, observer: PerChannelMinMaxObserver }); // expect: channel-count-mismatch
    conv.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv.args[0]!, activation], [conv.args[1]!, weight]], outputQspec: activation });
    return model;
  }
}
