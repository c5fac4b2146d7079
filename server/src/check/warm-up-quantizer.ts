/**
 * The quantizer a spare sandbox runs once on its own copy of the model before a job comes (check-worker.ts): code
 * runs slowly the first time (parsed, interpreted, no type feedback), so the job's check finds the loader, the spec
 * and annotation classes, site capture, the checker's rules and the report already compiled. It uses what quantizers
 * commonly use: source partitions, plain, shared and derived specs, input maps as a Map and as pairs. Loaded through
 * the user-module loader like a quantizer, never imported.
 */
import { DerivedQuantizationSpec, MinMaxObserver, QuantizationAnnotation, QuantizationSpec, Quantizer, SharedQuantizationSpec, getSourcePartitions, type GraphModule, type Node } from "qkit";

const activation = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, qscheme: "per_tensor_affine", observer: MinMaxObserver });
const weight = new QuantizationSpec({ dtype: "int8", quantMin: -127, quantMax: 127, qscheme: "per_tensor_symmetric", observer: MinMaxObserver });

function biasSpec(input: Node, w: Node, node: Node): DerivedQuantizationSpec {
  return new DerivedQuantizationSpec({
    derivedFrom: [[input, node], [w, node]],
    deriveQparams: ([a, b]) => ({ scale: [a.calculateQparams().scale[0]! * b.calculateQparams().scale[0]!], zeroPoint: [0] }),
    dtype: "int32",
    quantMin: -(2 ** 31),
    quantMax: 2 ** 31 - 1,
    qscheme: "per_tensor_symmetric",
  });
}

export default class WarmUpQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const partitions = getSourcePartitions(model.graph, ["Conv", "Gemm", "MatMul", "Add", "Relu", "MaxPool"]);
    for (const partition of [...partitions.Conv, ...partitions.Gemm, ...partitions.MatMul]) {
      const node = partition.outputNodes[0]!;
      const [input, w, bias] = node.args;
      if (!input || !w || !node.isFloatValue) continue;
      const inputQspecMap = new Map<Node, QuantizationSpec | DerivedQuantizationSpec>([[input, activation], [w, weight]]);
      if (bias) inputQspecMap.set(bias, biasSpec(input, w, node));
      node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap, outputQspec: activation, annotated: true });
    }
    for (const partition of [...partitions.Add, ...partitions.Relu, ...partitions.MaxPool]) {
      const node = partition.outputNodes[0]!;
      const input = node.args[0];
      if (!input || !node.isFloatValue || node.meta.quantizationAnnotation) continue;
      node.meta.quantizationAnnotation = new QuantizationAnnotation({
        inputQspecMap: [[input, activation]],
        outputQspec: new SharedQuantizationSpec([input, node]),
        annotated: true,
      });
    }
    return model;
  }
}
