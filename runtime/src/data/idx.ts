import { zlib } from "../lazy-builtins.js";
import { DataError } from "./data-error.js";
import { formatSize, MAX_DECODED_BYTES } from "./limits.js";

function gunzipCapped(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return new Uint8Array(zlib().gunzipSync(bytes, { maxOutputLength: MAX_DECODED_BYTES }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new DataError(file, `expands to more than ${formatSize(MAX_DECODED_BYTES)} when gunzipped, more than qkit reads at once`);
    throw new DataError(file, `is not valid gzip data (${(error as Error).message})`, { cause: error });
  }
}

/** An IDX array (the MNIST family's format): unsigned bytes with their dims. */
export interface IdxArray {
  data: Uint8Array;
  dims: number[];
}

/** The bytes an IDX header takes, once its first four are known. */
export function idxHeaderLength(prelude: Uint8Array, file: string): number {
  if (prelude.length < 4 || prelude[0] !== 0 || prelude[1] !== 0) throw new DataError(file, "is not an IDX file (bad magic number)");
  if (prelude[2] !== 0x08) throw new DataError(file, `holds IDX element type 0x${prelude[2]!.toString(16)}; only unsigned bytes (0x08) are supported`);
  return 4 + 4 * prelude[3]!;
}

/** The dims an IDX header states (the header must be complete: see idxHeaderLength). */
export function parseIdxDims(header: Uint8Array, file: string): number[] {
  const rank = (idxHeaderLength(header, file) - 4) / 4;
  if (header.length < 4 + 4 * rank) throw new DataError(file, "is truncated inside its IDX header");
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
}

/** Reads an IDX file (gzipped or not): magic 0x00000801 for labels, 0x00000803 for images; unsigned-byte data only. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipCapped(bytes, file) : bytes;
  if (raw.length < 8) throw new DataError(file, "is not an IDX file (bad magic number)");
  const start = idxHeaderLength(raw, file);
  const dims = parseIdxDims(raw, file);
  const count = dims.reduce((a, b) => a * b, 1);
  if (raw.length - start < count) throw new DataError(file, `is truncated: its dims (${dims.join(" × ")}) need ${count} bytes, it has ${raw.length - start}`);
  return { data: raw.subarray(start, start + count), dims };
}
