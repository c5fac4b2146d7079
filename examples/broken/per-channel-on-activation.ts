// Rule 5 (warning): a per-channel spec on an activation.
import { PerChannelMinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

export default class PerChannelActivation extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    const spec = new QuantizationSpec({ dtype: "int8", qscheme: "per_channel_affine", chAxis: 1, observer: PerChannelMinMaxObserver }); // expect: per-channel-on-activation
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu.args[0]!, spec]] });
    return model;
  }
}
