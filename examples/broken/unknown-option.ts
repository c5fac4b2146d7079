// A PT2E habit, snake_case options. Passed as a variable (or from JavaScript), TypeScript does not object, and
// the spec would silently use int8's full range.
import { MinMaxObserver, Quantizer, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

const options = { dtype: "int8" as const, quant_min: -127, quantMax: 127, observer: MinMaxObserver };
const narrow = new QuantizationSpec(options); // expect: unknown-option

export default class SnakeCase extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    model.graph.node("/relu1/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: narrow });
    return model;
  }
}
