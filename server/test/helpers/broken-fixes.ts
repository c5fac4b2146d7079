/**
 * How to fix each example of examples/broken: a substring of one line and what to put instead. The tests find the
 * line by its text, so the examples can move lines around; a new example needs an entry here.
 */
export const FIXES: Record<string, [from: string, to: string]> = {
  "unknown-option.ts": ["quant_min", "quantMin"],
  "annotate-async.ts": ["async annotate(model: GraphModule): Promise<GraphModule> {", "annotate(model: GraphModule): GraphModule {"],
  "annotates-nothing.ts": ['["Linear"]).Linear', '["Conv"]).Conv'],
  "ch-axis-out-of-range.ts": ["chAxis: 4", "chAxis: 0"],
  "channel-count-mismatch.ts": ["chAxis: 1", "chAxis: 0"],
  "composable-overwrite.ts": ["relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap", "relu.meta.quantizationAnnotation ??= new QuantizationAnnotation({ inputQspecMap"],
  "derived-arity.ts": ["[[input, conv], [weight, conv], [input, conv]]", "[[input, conv], [weight, conv]]"],
  "derived-per-channel-without-axis.ts": ['      qscheme: "per_channel_symmetric",', '      qscheme: "per_channel_symmetric", chAxis: 0,'],
  "derived-source-unannotated.ts": ["derivedFrom: [[input, conv], [weight, conv]]", "derivedFrom: [[input, conv], [input, conv]]"],
  "dynamic-spec-on-parameter.ts": ["isDynamic: true", "isDynamic: false"],
  "edge-not-in-graph.ts": ["new SharedQuantizationSpec([conv, gemm])", "new SharedQuantizationSpec([conv.args[0]!, conv])"],
  "fixed-qparams-conflict.ts": ["[relu, new SharedQuantizationSpec([conv5, add])]", "[relu, activation]"],
  "fixed-scale-invalid.ts": ["scale: 0,", "scale: 1 / 256,"],
  "fixed-zero-point-out-of-range.ts": ["zeroPoint: 128", "zeroPoint: -128"],
  "input-not-an-argument.ts": ["[[conv1, activation]]", "[[relu.args[0]!, activation]]"],
  "node-from-another-graph.ts": ["[[stranger, activation]]", "[[relu.args[0]!, activation]]"],
  "per-channel-on-activation.ts": ['qscheme: "per_channel_affine", chAxis: 1, observer: PerChannelMinMaxObserver', 'qscheme: "per_tensor_affine", quantMin: -128, quantMax: 127, observer: PerChannelMinMaxObserver.withArgs({ chAxis: 0 })'],
  "quant-min-out-of-range.ts": ["quantMin: -200,", "quantMin: -128,"],
  "quant-range-excludes-zero.ts": ["quantMin: 10,", "quantMin: 0,"],
  "quant-range-inverted.ts": ["quantMin: 200, quantMax: 10", "quantMin: 0, quantMax: 255"],
  "quantizer-throws.ts": ['"/conv9/Conv"', '"/conv1/Conv"'],
  "redundant-requantization.ts": ["quantMax: 126", "quantMax: 127"],
  "returns-nothing.ts": ["return undefined as unknown as GraphModule;", "return model;"],
  "shared-spec-chain-cycle.ts": ["outputQspec: new SharedQuantizationSpec([pool, conv]),", "outputQspec: activation,"],
  "shared-spec-cycle.ts": ["const fromA = new SharedQuantizationSpec([b, add]);", "const fromA = activation;"],
  "shared-spec-dangling.ts": ["outputQspec: new SharedQuantizationSpec(conv),", "outputQspec: undefined,"],
  "shared-spec-self.ts": ["[[input, new SharedQuantizationSpec([input, relu])]]", "[[input, activation]]"],
  "symmetric-range-asymmetric.ts": ["quantMin: -100", "quantMin: -127"],
};
