/**
 * NumPy's .npy format (versions 1–3): a magic string, a Python-literal header with dtype, order and shape, then the
 * raw little-endian data in C order.
 */
import { QkitError } from "../errors.js";
import type { DataType } from "../onnx/data-type.js";

export interface NpyArray {
  dtype: DataType;
  shape: number[];
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
}

const DESCR: Record<string, { dtype: DataType; make: (b: ArrayBuffer) => NpyArray["data"] }> = {
  f4: { dtype: "float32", make: (b) => new Float32Array(b) },
  f8: { dtype: "float64", make: (b) => new Float64Array(b) },
  f2: { dtype: "float16", make: (b) => new Uint16Array(b) },
  i1: { dtype: "int8", make: (b) => new Int8Array(b) },
  u1: { dtype: "uint8", make: (b) => new Uint8Array(b) },
  b1: { dtype: "bool", make: (b) => new Uint8Array(b) },
  i2: { dtype: "int16", make: (b) => new Int16Array(b) },
  u2: { dtype: "uint16", make: (b) => new Uint16Array(b) },
  i4: { dtype: "int32", make: (b) => new Int32Array(b) },
  u4: { dtype: "uint32", make: (b) => new Uint32Array(b) },
  i8: { dtype: "int64", make: (b) => new BigInt64Array(b) },
  u8: { dtype: "uint64", make: (b) => new BigUint64Array(b) },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export class NpyError extends QkitError {
  constructor(file: string, message: string) {
    super("bad-npy", `${file}: ${message}`);
  }
}

export function readNpy(bytes: Uint8Array, file = "<npy>"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw new NpyError(file, "is not a .npy file (bad magic)");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString(major === 3 ? "utf8" : "latin1");
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(file, `has a header numpy would not write: ${header.trim()}`);
  if (fortran === "True") throw new NpyError(file, "is in Fortran order; save it with np.ascontiguousarray first");
  const order = descr[0]!;
  const kind = DESCR[descr.slice(1)];
  if (!kind) throw new NpyError(file, `has dtype '${descr}', which qkit does not read`);
  if (order === ">" && descr.slice(1) !== "i1" && descr.slice(1) !== "u1" && descr.slice(1) !== "b1") {
    throw new NpyError(file, "is big-endian; save it little-endian (arr.astype(arr.dtype.newbyteorder('<')))");
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  const width = Number(descr.slice(2));
  if (bytes.length - dataStart < count * width) throw new NpyError(file, `is truncated: shape (${shape.join(", ")}) needs ${count * width} bytes of data`);
  const copy = bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + dataStart + count * width) as ArrayBuffer;
  return { dtype: kind.dtype, shape, data: kind.make(copy) };
}

const WRITE_DESCR: Partial<Record<DataType, string>> = {
  float32: "<f4", float64: "<f8", float16: "<f2", int8: "|i1", uint8: "|u1", bool: "|b1", int16: "<i2", uint16: "<u2",
  int32: "<i4", uint32: "<u4", int64: "<i8", uint64: "<u8",
};

export function writeNpy(array: NpyArray): Uint8Array {
  const descr = WRITE_DESCR[array.dtype];
  if (!descr) throw new QkitError("bad-npy", `cannot write ${array.dtype} data as .npy`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy pads the header with spaces so the data starts on a 64-byte boundary, and ends it with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total + array.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, "latin1"), 10);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), total);
  return out;
}
