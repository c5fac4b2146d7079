import type { Model } from "../model.js";
import { cloneModel } from "../model-clone.js";
import { onnx } from "../onnx/proto.js";
import { dataTypeCode } from "../onnx/data-type.js";
import { makeTensor, tensorToFloat32 } from "../onnx/tensor-data.js";

/**
 * A float16 model, to run in float32: its float16 weights, constants, casts and declared values become float32, and
 * the session converts the float16 inputs the caller passes and the outputs it returns (`inputs`, `outputs`). The
 * engine's kernels are float32; computing in float32 what the model declares in float16 is at least as exact as
 * float16 arithmetic, and agrees with it to float16's precision.
 */
export interface WidenedModel {
  model: Model;
  /** Graph inputs declared float16: the caller passes float16 tensors. */
  inputs: ReadonlySet<string>;
  /** Graph outputs declared float16: the caller gets float16 tensors back. */
  outputs: ReadonlySet<string>;
}

const FLOAT16 = dataTypeCode("float16");
const FLOAT = dataTypeCode("float32");
/** Attributes that name an element type: a cast's target, a generator's output type. */
const TYPE_ATTRIBUTES = new Set(["to", "dtype"]);
/** Attributes that hold a tensor: Constant's value, ConstantOfShape's fill value. */
const TENSOR_ATTRIBUTES = new Set(["value"]);

/** The float32 copy of a model that computes in float16, or undefined when nothing in it is float16. */
export function widenFloat16(model: Model): WidenedModel | undefined {
  const graph = model.graph;
  const declared = (node: { meta: { dtype?: string } }) => node.meta.dtype === "float16";
  const inputs = new Set(graph.placeholders().filter(declared).map((n) => n.valueName));
  const outputs = new Set(graph.outputs.filter(declared).map((n) => n.valueName));
  const anyFloat16 = inputs.size > 0 || outputs.size > 0 || graph.nodes.some((n) =>
    n.meta.dtype === "float16" || n.tensor?.dataType === FLOAT16 ||
    [...n.attributes.values()].some((a) => (TYPE_ATTRIBUTES.has(a.name ?? "") && Number(a.i) === FLOAT16) || a.t?.dataType === FLOAT16));
  if (!anyFloat16) return undefined;
  return { model: cloneModel(model, widenGraph), inputs, outputs };
}

function widenGraph(graph: onnx.IGraphProto): void {
  // The value infos are the original model's objects (cloneModel shares them): replaced, never written to.
  graph.input = (graph.input ?? []).map(widenValueInfo);
  graph.output = (graph.output ?? []).map(widenValueInfo);
  graph.valueInfo = (graph.valueInfo ?? []).map(widenValueInfo);
  graph.initializer = (graph.initializer ?? []).map(widenTensor);
  for (const node of graph.node ?? []) {
    node.attribute = (node.attribute ?? []).map((a) => {
      if (TYPE_ATTRIBUTES.has(a.name ?? "") && Number(a.i) === FLOAT16) return { ...a, i: FLOAT };
      if (TENSOR_ATTRIBUTES.has(a.name ?? "") && a.t?.dataType === FLOAT16) return { ...a, t: widenTensor(a.t) };
      return a;
    });
  }
}

function widenValueInfo(info: onnx.IValueInfoProto): onnx.IValueInfoProto {
  const tensorType = info.type?.tensorType;
  return tensorType?.elemType === FLOAT16 ? { ...info, type: { ...info.type, tensorType: { ...tensorType, elemType: FLOAT } } } : info;
}

function widenTensor(tensor: onnx.ITensorProto): onnx.ITensorProto {
  if (tensor.dataType !== FLOAT16) return tensor;
  return makeTensor(tensor.name ?? "", "float32", (tensor.dims ?? []).map(Number), tensorToFloat32(tensor));
}
