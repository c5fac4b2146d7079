/**
 * The PT2E tutorial's quantizer, ported to qkit: int8 activations observed with a histogram, per-channel symmetric int8
 * weights, an int32 bias whose scale is derived from the input's and the weight's (s_act · s_w), add inputs sharing
 * one observer, pools and reshapes sharing their input's qparams, and sigmoid with fixed qparams.
 */
import {
  DerivedQuantizationSpec,
  FixedQParamsQuantizationSpec,
  HistogramObserver,
  PerChannelMinMaxObserver,
  QuantizationAnnotation,
  QuantizationSpec,
  Quantizer,
  SharedQuantizationSpec,
  getSourcePartitions,
  type GraphModule,
  type Node,
} from "qkit";

const activation = new QuantizationSpec({
  dtype: "int8",
  quantMin: -128,
  quantMax: 127,
  qscheme: "per_tensor_affine",
  observer: HistogramObserver.withArgs({ eps: 2 ** -12 }),
});

const weight = new QuantizationSpec({
  dtype: "int8",
  quantMin: -127,
  quantMax: 127,
  qscheme: "per_channel_symmetric",
  chAxis: 0,
  observer: PerChannelMinMaxObserver.withArgs({ eps: 2 ** -12 }),
});

/** Sigmoid's output lies in [0, 1]: 256 steps of 1/256, with -128 standing for 0. */
const sigmoidOutput = new FixedQParamsQuantizationSpec({
  dtype: "int8",
  scale: 1 / 256,
  zeroPoint: -128,
  quantMin: -128,
  quantMax: 127,
  qscheme: "per_tensor_affine",
});

/** int32 bias with scale s_input · s_weight (one per output channel) and zero point 0, as integer kernels need. */
function biasSpec(input: Node, weightNode: Node, node: Node) {
  return new DerivedQuantizationSpec({
    derivedFrom: [[input, node], [weightNode, node]],
    deriveQparams: ([act, w]) => {
      const a = act.calculateQparams();
      const ws = w.calculateQparams();
      return { scale: ws.scale.map((s) => Math.fround(a.scale[0]! * s)), zeroPoint: new Int32Array(ws.scale.length) };
    },
    dtype: "int32",
    quantMin: -(2 ** 31),
    quantMax: 2 ** 31 - 1,
    qscheme: "per_channel_symmetric",
    chAxis: 0,
  });
}

function annotated(node: Node): boolean {
  return node.meta.quantizationAnnotation instanceof QuantizationAnnotation;
}

export default class TutorialQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const graph = model.graph;
    const partitions = getSourcePartitions(graph, ["Conv", "Gemm", "Add", "Relu", "MaxPool", "GlobalAveragePool", "Flatten", "Sigmoid"]);

    // Conv / Gemm: quantized input, weight and bias; the output is quantized after a following Relu when there is one.
    for (const partition of [...partitions.Conv, ...partitions.Gemm]) {
      const node = partition.outputNodes[0]!;
      const [input, w, bias] = node.args;
      if (!input || !w) continue;
      // Per-channel weights need the output channels on axis 0: Gemm's weight is [N, K] only with transB.
      if (node.opType === "Gemm" && node.intAttribute("transB", 0) === 0) continue;
      const inputQspecMap = new Map<Node, QuantizationSpec | DerivedQuantizationSpec>([[input, activation], [w, weight]]);
      if (bias) inputQspecMap.set(bias, biasSpec(input, w, node));
      const fusedRelu = [...node.users].length === 1 && [...node.users][0]!.opType === "Relu" ? [...node.users][0]! : undefined;
      node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap, outputQspec: fusedRelu ? undefined : activation, annotated: true });
      if (fusedRelu) fusedRelu.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: activation, annotated: true });
    }

    // Add: both inputs share one observer, so the integer add needs no rescaling of one side. Integer adds (shape
    // arithmetic in exported transformers) and float ones that only compute shapes are never quantized.
    for (const partition of partitions.Add) {
      const node = partition.outputNodes[0]!;
      const [a, b] = node.args;
      if (!a || !b || annotated(node) || !node.isFloatValue || node.isShapeOperand) continue;
      node.meta.quantizationAnnotation = new QuantizationAnnotation({
        inputQspecMap: [[a, activation], [b, new SharedQuantizationSpec([a, node])]],
        outputQspec: activation,
        annotated: true,
      });
    }

    // Ops that do not change the value range keep their input's qparams.
    for (const partition of [...partitions.Relu, ...partitions.MaxPool, ...partitions.GlobalAveragePool, ...partitions.Flatten]) {
      const node = partition.outputNodes[0]!;
      const input = node.args[0];
      if (!input || annotated(node) || !node.isFloatValue) continue;
      node.meta.quantizationAnnotation = new QuantizationAnnotation({
        inputQspecMap: [[input, activation]],
        outputQspec: new SharedQuantizationSpec([input, node]),
        annotated: true,
      });
    }

    for (const partition of partitions.Sigmoid) {
      const node = partition.outputNodes[0]!;
      const input = node.args[0];
      if (!input || annotated(node)) continue;
      node.meta.quantizationAnnotation = new QuantizationAnnotation({
        inputQspecMap: [[input, activation]],
        outputQspec: sigmoidOutput,
        annotated: true,
      });
    }
    return model;
  }
}
