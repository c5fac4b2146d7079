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

/** Reads a .npy array (format versions 1–3, little-endian, C order) as a Tensor. */
export function parseNpy(bytes: Uint8Array, file: string): Tensor {
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
  const count = dims.reduce((a, b) => a * b, 1);
  const Array = ARRAYS[type as keyof typeof ARRAYS];
  const offset = start + headerLength;
  const needed = count * Array.BYTES_PER_ELEMENT;
  if (bytes.length - offset < needed) throw new DataError(file, `is truncated: its shape (${dims.join(", ")}) needs ${needed} bytes of data, it has ${bytes.length - offset}`);
  const copy = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + needed);
  return new Tensor(type, new Array(copy as ArrayBuffer), dims);
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
