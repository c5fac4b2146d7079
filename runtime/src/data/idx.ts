import { gunzipSync } from "node:zlib";
import { DataError } from "./data-error.js";

/** An IDX array (the MNIST family's format): unsigned bytes with their dims. */
export interface IdxArray {
  data: Uint8Array;
  dims: number[];
}

/** Reads an IDX file (gzipped or not): magic 0x00000801 for labels, 0x00000803 for images; unsigned-byte data only. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (raw.length < 8 || raw[0] !== 0 || raw[1] !== 0) throw new DataError(file, "is not an IDX file (bad magic number)");
  if (raw[2] !== 0x08) throw new DataError(file, `holds IDX element type 0x${raw[2]!.toString(16)}; only unsigned bytes (0x08) are supported`);
  const rank = raw[3]!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const count = dims.reduce((a, b) => a * b, 1);
  if (raw.length - start < count) throw new DataError(file, `is truncated: its dims (${dims.join(" × ")}) need ${count} bytes, it has ${raw.length - start}`);
  return { data: raw.subarray(start, start + count), dims };
}
