import type { Model } from "../model.js";
import { cloneModel } from "../model-clone.js";
import { onnx } from "../onnx/proto.js";
import { dataTypeCode } from "../onnx/data-type.js";
import { makeTensor, tensorToFloat32 } from "../onnx/tensor-data.js";
import { intAttribute } from "../onnx/attributes.js";
import { freshNames } from "../onnx/fresh-names.js";

/**
 * A float16 or bfloat16 model, to run in float32: its 16-bit weights, constants and declared values become float32
 * (a Cast to a 16-bit type still rounds, and is cast back to float32), and the session converts the 16-bit inputs the
 * caller passes and the outputs it returns (`inputs`, `outputs`, each with its declared type). The engine's kernels are float32; computing in float32 what the model
 * declares in 16 bits is at least as exact as 16-bit arithmetic, and agrees with it to the 16-bit type's precision.
 */
export interface WidenedModel {
  model: Model;
  /** Graph inputs declared float16 or bfloat16: the caller passes tensors of that type. */
  inputs: ReadonlyMap<string, HalfFloat>;
  /** Graph outputs declared float16 or bfloat16: the caller gets tensors of that type back. */
  outputs: ReadonlyMap<string, HalfFloat>;
}

export type HalfFloat = "float16" | "bfloat16";

const HALF = new Set([dataTypeCode("float16"), dataTypeCode("bfloat16")]);
const FLOAT = dataTypeCode("float32");
/** Attributes that name an element type: a cast's target, a generator's output type. */
const TYPE_ATTRIBUTES = new Set(["to", "dtype"]);
/** Attributes that hold a tensor: Constant's value, ConstantOfShape's fill value. */
const TENSOR_ATTRIBUTES = new Set(["value"]);

const isHalf = (dtype: string | undefined): dtype is HalfFloat => dtype === "float16" || dtype === "bfloat16";

/** The float32 copy of a model that computes in float16 or bfloat16, or undefined when nothing in it is either. */
export function widenFloat16(model: Model): WidenedModel | undefined {
  const graph = model.graph;
  const declared = (nodes: readonly { meta: { dtype?: string }; valueName: string }[]) =>
    new Map(nodes.filter((n) => isHalf(n.meta.dtype)).map((n) => [n.valueName, n.meta.dtype as HalfFloat]));
  const inputs = declared(graph.placeholders());
  const outputs = declared(graph.outputs);
  const anyHalf = inputs.size > 0 || outputs.size > 0 || graph.nodes.some((n) =>
    isHalf(n.meta.dtype) || HALF.has(n.tensor?.dataType ?? -1) ||
    [...n.attributes.values()].some((a) => (TYPE_ATTRIBUTES.has(a.name ?? "") && HALF.has(Number(a.i))) || HALF.has(a.t?.dataType ?? -1)));
  if (!anyHalf) return undefined;
  const halfValues = declared(graph.nodes);
  return { model: cloneModel(model, (g) => widenGraph(g, halfValues)), inputs, outputs };
}

function widenGraph(graph: onnx.IGraphProto, halfValues: ReadonlyMap<string, HalfFloat>): void {
  // The value infos are the original model's objects (cloneModel shares them): replaced, never written to.
  graph.input = (graph.input ?? []).map(widenValueInfo);
  graph.output = (graph.output ?? []).map(widenValueInfo);
  graph.valueInfo = (graph.valueInfo ?? []).map(widenValueInfo);
  graph.initializer = (graph.initializer ?? []).map(widenTensor);
  const fresh = freshNames(graph);
  const nodes: onnx.INodeProto[] = [];
  for (const node of graph.node ?? []) {
    nodes.push(node);
    // A cast to a 16-bit type rounds: it still does, into a value cast back to float32 for what reads it.
    const castTo = node.opType === "Cast" ? Number(node.attribute?.find((a) => a.name === "to")?.i ?? 0)
      : node.opType === "CastLike" && halfValues.has(node.input?.[1] ?? "") ? dataTypeCode(halfValues.get(node.input![1]!)!) : undefined;
    if (castTo !== undefined && HALF.has(castTo) && node.output?.[0]) {
      const rounded = fresh(`${node.output[0]}_rounded`);
      nodes[nodes.length - 1] = { ...node, opType: "Cast", input: [node.input![0]!], output: [rounded], attribute: [intAttribute("to", castTo)] };
      nodes.push({ opType: "Cast", name: `${node.name ?? rounded}_widened`, input: [rounded], output: [node.output[0]], attribute: [intAttribute("to", FLOAT)] });
      continue;
    }
    node.attribute = (node.attribute ?? []).map((a) => {
      if (TYPE_ATTRIBUTES.has(a.name ?? "") && HALF.has(Number(a.i))) return { ...a, i: FLOAT };
      if (TENSOR_ATTRIBUTES.has(a.name ?? "") && HALF.has(a.t?.dataType ?? -1)) return { ...a, t: widenTensor(a.t!) };
      return a;
    });
  }
  graph.node = nodes;
}

function widenValueInfo(info: onnx.IValueInfoProto): onnx.IValueInfoProto {
  const tensorType = info.type?.tensorType;
  return HALF.has(tensorType?.elemType ?? -1) ? { ...info, type: { ...info.type, tensorType: { ...tensorType, elemType: FLOAT } } } : info;
}

function widenTensor(tensor: onnx.ITensorProto): onnx.ITensorProto {
  if (!HALF.has(tensor.dataType ?? -1)) return tensor;
  return makeTensor(tensor.name ?? "", "float32", (tensor.dims ?? []).map(Number), tensorToFloat32(tensor));
}
