import type { DataType } from "../onnx/data-type.js";

/** Element types a Tensor can hold, named as in ONNX Runtime's JavaScript API. */
export type TensorType = Extract<DataType,
  "float32" | "float64" | "float16" | "bfloat16" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64" | "bool" | "string">;

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

const ARRAY_TYPES: Record<TensorType, string> = {
  float32: "Float32Array", float64: "Float64Array", float16: "Uint16Array", bfloat16: "Uint16Array",
  int8: "Int8Array", uint8: "Uint8Array", int16: "Int16Array", uint16: "Uint16Array",
  int32: "Int32Array", uint32: "Uint32Array", int64: "BigInt64Array", uint64: "BigUint64Array",
  bool: "Uint8Array", string: "Array",
};

/** The numeric element types a tensor holds in a typed array of its own width (bool and string excepted). */
export const NUMERIC_TYPES: ReadonlySet<DataType> = new Set(Object.keys(ARRAY_TYPES).filter((t) => t !== "bool" && t !== "string") as DataType[]);

/** A dense tensor in row-major (ONNX) layout, as in ONNX Runtime: `new Tensor("float32", data, [1, 3, 224, 224])`. */
export class Tensor {
  readonly dims: readonly number[];

  constructor(readonly type: TensorType, readonly data: TensorData, dims?: readonly number[]) {
    this.dims = Object.freeze([...(dims ?? [data.length])]);
    const expected = ARRAY_TYPES[type];
    if (!expected) throw new TypeError(`Tensor: unknown element type '${String(type)}'`);
    const actual = Array.isArray(data) ? "Array" : data.constructor.name;
    if (actual !== expected) throw new TypeError(`Tensor: ${type} data must be a ${expected}, got a ${actual}`);
    for (const d of this.dims) if (!Number.isInteger(d) || d < 0) throw new TypeError(`Tensor: bad dimension ${d} in [${this.dims.join(", ")}]`);
    if (this.size !== data.length) {
      throw new TypeError(`Tensor: dims [${this.dims.join(", ")}] need ${this.size} elements, data has ${data.length}`);
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }
}

/** The typed-array constructor holding elements of a type (bools as bytes, float16 and bfloat16 as bit patterns). */
export function arrayFor(type: DataType, length: number): Exclude<TensorData, string[]> {
  switch (type) {
    case "float32": return new Float32Array(length);
    case "float64": return new Float64Array(length);
    case "int8": return new Int8Array(length);
    case "uint8": case "bool": return new Uint8Array(length);
    case "int16": return new Int16Array(length);
    case "uint16": case "float16": case "bfloat16": return new Uint16Array(length);
    case "int32": return new Int32Array(length);
    case "uint32": return new Uint32Array(length);
    case "int64": return new BigInt64Array(length);
    case "uint64": return new BigUint64Array(length);
    default: throw new TypeError(`no array type for ${type}`);
  }
}

/** The bytes of a numeric tensor's storage, as a view (BitCast reads one type's bytes as another's). */
export function bytesOf(data: TensorData): Uint8Array {
  if (Array.isArray(data)) throw new TypeError("strings have no byte storage");
  const view = data as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
