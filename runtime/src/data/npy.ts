import { Tensor, type TensorType } from "../engine/tensor.js";
import { DataError } from "./data-error.js";

/** NumPy dtype descriptors ("<f4", "|u1", …) and the tensor types they hold. */
const DESCRIPTORS: Record<string, TensorType> = {
  f4: "float32", f8: "float64", f2: "float16", i1: "int8", u1: "uint8", i2: "int16", u2: "uint16",
  i4: "int32", u4: "uint32", i8: "int64", u8: "uint64", b1: "bool",
};
const DESCRIPTOR_OF: Partial<Record<TensorType, string>> = Object.fromEntries(Object.entries(DESCRIPTORS).map(([d, t]) => [t, d]));

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array,
  uint64: BigUint64Array, bool: Uint8Array,
} as const;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** What a .npy header says: the element type, the dims, and where the data starts. */
export interface NpyHeader {
  type: TensorType;
  dims: number[];
  dataOffset: number;
}

/** The bytes a header needs before it can be read: the fixed prelude, then its stated length. */
export function npyHeaderLength(prelude: Uint8Array, file: string): number {
  if (prelude.length < 12 || MAGIC.some((b, i) => prelude[i] !== b)) throw new DataError(file, "is not a .npy file (no \\x93NUMPY header)");
  const view = new DataView(prelude.buffer, prelude.byteOffset, prelude.byteLength);
  return prelude[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}

/** Reads a .npy header (format versions 1–3, little-endian, C order). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DataError(file, "is not a .npy file (no \\x93NUMPY header)");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString(major === 3 ? "utf8" : "latin1");
  const descr = /'descr':\s*'([<>|=])(\w+)'/.exec(header);
  const order = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) throw new DataError(file, `has a .npy header qkit cannot read: ${header.trim()}`);
  if (descr[1] === ">") throw new DataError(file, "holds big-endian data; save it little-endian (numpy: a.astype('<f4'))");
  if (order[1] === "True") throw new DataError(file, "is in Fortran order; save it in C order (numpy.ascontiguousarray)");
  const type = DESCRIPTORS[descr[2]!];
  if (!type) throw new DataError(file, `holds dtype '${descr[1]}${descr[2]}', which qkit does not read (use float32)`);
  const dims = shape[1]!.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new DataError(file, `has a .npy shape qkit cannot use: (${shape[1]!.trim()}); dims must be non-negative integers`);
  return { type, dims, dataOffset: start + headerLength };
}

/** Bytes per element of a .npy element type. */
export function npyElementBytes(type: TensorType): number {
  return ARRAYS[type as keyof typeof ARRAYS].BYTES_PER_ELEMENT;
}

/** A tensor over a copy of `bytes` (whole elements of `type`). */
export function npyTensor(type: TensorType, bytes: Uint8Array, dims: number[]): Tensor {
  const Array = ARRAYS[type as keyof typeof ARRAYS];
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return new Tensor(type, new Array(copy as ArrayBuffer), dims);
}

/** Reads a .npy array (format versions 1–3, little-endian, C order) as a Tensor. */
export function parseNpy(bytes: Uint8Array, file: string): Tensor {
  const { type, dims, dataOffset } = parseNpyHeader(bytes, file);
  const count = dims.reduce((a, b) => a * b, 1);
  const needed = count * npyElementBytes(type);
  if (bytes.length - dataOffset < needed) throw new DataError(file, `is truncated: its shape (${dims.join(", ")}) needs ${needed} bytes of data, it has ${bytes.length - dataOffset}`);
  return npyTensor(type, bytes.subarray(dataOffset, dataOffset + needed), dims);
}

/** A tensor as .npy (version 1) bytes. */
export function encodeNpy(tensor: Tensor): Uint8Array {
  const descriptor = DESCRIPTOR_OF[tensor.type];
  if (!descriptor || Array.isArray(tensor.data)) throw new TypeError(`cannot write a ${tensor.type} tensor as .npy`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(", ")})`;
  let header = `{'descr': '${descriptor === "u1" || descriptor === "i1" || descriptor === "b1" ? "|" : "<"}${descriptor}', 'fortran_order': False, 'shape': ${shape}, }`;
  // The header (with magic, version and length) is padded with spaces to a multiple of 64 bytes and ends in \n.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const data = tensor.data as ArrayBufferView;
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
