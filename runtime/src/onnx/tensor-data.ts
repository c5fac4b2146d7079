/**
 * Reading and writing the element data of TensorProtos. ONNX stores the same values in several ways (raw_data, or one
 * of the typed repeated fields chosen by element type); readers must accept all of them, writers use raw_data.
 */
import { onnx, toBigInt } from "./proto.js";
import { bytesPerElement, dataTypeCode, dataTypeFromCode, type DataType } from "./data-type.js";
import { bfloat16BitsToNumber, float16BitsToNumber } from "./float16.js";
import { QkitError } from "../errors.js";

export type TensorValues =
  | Float32Array | Float64Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array
  | string[];

export function tensorDataType(tensor: onnx.ITensorProto): DataType {
  const type = dataTypeFromCode(tensor.dataType ?? 0);
  if (!type) throw new QkitError("bad-tensor", `tensor '${tensor.name ?? ""}' has unknown element type ${tensor.dataType ?? 0}`);
  return type;
}

export function tensorDims(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map((d) => Number(toBigInt(d)));
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function aligned(raw: Uint8Array): ArrayBuffer {
  // protobufjs hands out views into the file buffer; typed arrays need their own aligned copy.
  return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
}

function unpackInt4(raw: Uint8Array, count: number, signed: boolean): Int8Array | Uint8Array {
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (raw[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nibble > 7 ? nibble - 16 : nibble;
  }
  return out;
}

/**
 * The values of a tensor whose data is in the proto (external data must have been read into raw_data already).
 * 16-bit floats and float8 come back as their bit patterns; use tensorToFloat32 for numbers.
 */
export function tensorValues(tensor: onnx.ITensorProto): TensorValues {
  const type = tensorDataType(tensor);
  const count = elementCount(tensorDims(tensor));
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : undefined;
  const name = tensor.name ?? "";
  if (raw && type !== "string") {
    const expected = Math.ceil(count * bytesPerElement(type));
    if (raw.length !== expected) {
      throw new QkitError("bad-tensor", `tensor '${name}' holds ${raw.length} bytes of raw data, its ${type}[${tensorDims(tensor).join(",")}] shape needs ${expected}`);
    }
  }
  switch (type) {
    case "float32":
      return raw ? new Float32Array(aligned(raw)) : Float32Array.from(tensor.floatData ?? []);
    case "complex64":
      return raw ? new Float32Array(aligned(raw)) : Float32Array.from(tensor.floatData ?? []);
    case "float64":
      return raw ? new Float64Array(aligned(raw)) : Float64Array.from(tensor.doubleData ?? []);
    case "complex128":
      return raw ? new Float64Array(aligned(raw)) : Float64Array.from(tensor.doubleData ?? []);
    case "int8":
      return raw ? new Int8Array(aligned(raw)) : Int8Array.from(tensor.int32Data ?? []);
    case "uint8": case "bool":
    case "float8e4m3fn": case "float8e4m3fnuz": case "float8e5m2": case "float8e5m2fnuz":
      return raw ? new Uint8Array(aligned(raw)) : Uint8Array.from(tensor.int32Data ?? []);
    case "int16":
      return raw ? new Int16Array(aligned(raw)) : Int16Array.from(tensor.int32Data ?? []);
    case "uint16": case "float16": case "bfloat16":
      return raw ? new Uint16Array(aligned(raw)) : Uint16Array.from(tensor.int32Data ?? []);
    case "int32":
      return raw ? new Int32Array(aligned(raw)) : Int32Array.from(tensor.int32Data ?? []);
    case "uint32":
      return raw ? new Uint32Array(aligned(raw)) : Uint32Array.from((tensor.uint64Data ?? []).map((v) => Number(toBigInt(v))));
    case "int64":
      return raw ? new BigInt64Array(aligned(raw)) : BigInt64Array.from((tensor.int64Data ?? []).map((v) => toBigInt(v)));
    case "uint64":
      return raw ? new BigUint64Array(aligned(raw)) : BigUint64Array.from((tensor.uint64Data ?? []).map((v) => BigInt.asUintN(64, toBigInt(v))));
    case "int4": case "uint4":
      return raw ? unpackInt4(raw, count, type === "int4") : (type === "int4" ? Int8Array : Uint8Array).from(tensor.int32Data ?? []);
    case "string":
      return (tensor.stringData ?? []).map((bytes) => Buffer.from(bytes).toString("utf8"));
  }
}

/** The tensor as float32 numbers (integers converted, 16-bit floats decoded). Not for strings. */
export function tensorToFloat32(tensor: onnx.ITensorProto): Float32Array {
  const type = tensorDataType(tensor);
  const values = tensorValues(tensor);
  if (values instanceof Float32Array) return values;
  if (Array.isArray(values)) throw new QkitError("bad-tensor", `tensor '${tensor.name ?? ""}' holds strings, not numbers`);
  if (type === "float16") return Float32Array.from(values as Uint16Array, float16BitsToNumber);
  if (type === "bfloat16") return Float32Array.from(values as Uint16Array, bfloat16BitsToNumber);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  return out;
}

/** Small integer tensors (shapes, axes, pads) as plain numbers. */
export function tensorToNumbers(tensor: onnx.ITensorProto): number[] {
  const values = tensorValues(tensor);
  if (Array.isArray(values)) throw new QkitError("bad-tensor", `tensor '${tensor.name ?? ""}' holds strings, not numbers`);
  return Array.from(values as ArrayLike<number | bigint>, Number);
}

type NumericArray = Exclude<TensorValues, string[]>;

/** A TensorProto holding `values` as raw_data (strings in string_data). */
export function makeTensor(name: string, type: DataType, dims: readonly number[], values: NumericArray | string[]): onnx.TensorProto {
  const tensor = new onnx.TensorProto({ name, dataType: dataTypeCode(type), dims: [...dims] });
  if (Array.isArray(values)) {
    tensor.stringData = values.map((s) => Buffer.from(s, "utf8"));
  } else if (type === "int4" || type === "uint4") {
    const packed = new Uint8Array(Math.ceil(values.length / 2));
    for (let i = 0; i < values.length; i++) packed[i >> 1]! |= (Number(values[i]) & 0xf) << ((i & 1) * 4);
    tensor.rawData = packed;
  } else {
    tensor.rawData = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  }
  return tensor;
}

/** Bytes the tensor's data occupies (raw or typed fields), for size accounting. */
export function tensorByteLength(tensor: onnx.ITensorProto): number {
  const type = tensorDataType(tensor);
  if (type === "string") return (tensor.stringData ?? []).reduce((n, s) => n + s.length, 0);
  return Math.ceil(elementCount(tensorDims(tensor)) * bytesPerElement(type));
}
