/**
 * ONNX attributes stay as AttributeProtos inside the IR (so nothing is lost on save); these helpers read them as plain
 * values and build new ones.
 */
import { onnx, toNumber } from "./proto.js";

const AttrType = onnx.AttributeProto.AttributeType;

export type AttributeValue =
  | number | string | number[] | string[]
  | onnx.ITensorProto | onnx.ITensorProto[]
  | onnx.IGraphProto | onnx.IGraphProto[]
  | onnx.ISparseTensorProto | onnx.ISparseTensorProto[]
  | onnx.ITypeProto | onnx.ITypeProto[];

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString("utf8");

/** The attribute's value: ints as numbers, strings decoded from UTF-8, tensors and graphs as protos. */
export function attributeValue(attr: onnx.IAttributeProto): AttributeValue {
  switch (attr.type) {
    case AttrType.FLOAT: return attr.f ?? 0;
    case AttrType.INT: return toNumber(attr.i);
    case AttrType.STRING: return text(attr.s);
    case AttrType.TENSOR: return attr.t ?? {};
    case AttrType.GRAPH: return attr.g ?? {};
    case AttrType.SPARSE_TENSOR: return attr.sparseTensor ?? {};
    case AttrType.TYPE_PROTO: return attr.tp ?? {};
    case AttrType.FLOATS: return [...(attr.floats ?? [])];
    case AttrType.INTS: return (attr.ints ?? []).map(toNumber);
    case AttrType.STRINGS: return (attr.strings ?? []).map(text);
    case AttrType.TENSORS: return [...(attr.tensors ?? [])];
    case AttrType.GRAPHS: return [...(attr.graphs ?? [])];
    case AttrType.SPARSE_TENSORS: return [...(attr.sparseTensors ?? [])];
    case AttrType.TYPE_PROTOS: return [...(attr.typeProtos ?? [])];
    default: return inferUntyped(attr);
  }
}

// IR < 2 models leave `type` unset; the populated field tells.
function inferUntyped(attr: onnx.IAttributeProto): AttributeValue {
  if (attr.ints && attr.ints.length) return attr.ints.map(toNumber);
  if (attr.floats && attr.floats.length) return [...attr.floats];
  if (attr.strings && attr.strings.length) return attr.strings.map(text);
  if (attr.t) return attr.t;
  if (attr.g) return attr.g;
  if (attr.s && attr.s.length) return text(attr.s);
  if (attr.i !== null && attr.i !== undefined && toNumber(attr.i) !== 0) return toNumber(attr.i);
  return attr.f ?? 0;
}

export function attributeTypeName(attr: onnx.IAttributeProto): string {
  return AttrType[attr.type ?? 0] ?? "UNDEFINED";
}

export function intAttribute(name: string, value: number): onnx.AttributeProto {
  return new onnx.AttributeProto({ name, type: AttrType.INT, i: value });
}
export function intsAttribute(name: string, value: readonly number[]): onnx.AttributeProto {
  return new onnx.AttributeProto({ name, type: AttrType.INTS, ints: [...value] });
}
export function floatAttribute(name: string, value: number): onnx.AttributeProto {
  return new onnx.AttributeProto({ name, type: AttrType.FLOAT, f: value });
}
export function floatsAttribute(name: string, value: readonly number[]): onnx.AttributeProto {
  return new onnx.AttributeProto({ name, type: AttrType.FLOATS, floats: [...value] });
}
export function stringAttribute(name: string, value: string): onnx.AttributeProto {
  return new onnx.AttributeProto({ name, type: AttrType.STRING, s: Buffer.from(value, "utf8") });
}
export function tensorAttribute(name: string, value: onnx.ITensorProto): onnx.AttributeProto {
  return new onnx.AttributeProto({ name, type: AttrType.TENSOR, t: value });
}
