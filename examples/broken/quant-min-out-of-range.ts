// Rule 4: quantMin -200 does not fit int8.
import { HistogramObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const tooWide = new QuantizationSpec({ // expect: quant-range-outside-dtype
  dtype: "int8",
  quantMin: -200,
  quantMax: 127,
  observer: HistogramObserver,
});

export default class TooWide extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu.args[0]!, tooWide]], outputQspec: tooWide });
    return model;
  }
}
