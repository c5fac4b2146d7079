/** NumPy's .npz archives: a zip file of .npy members, stored or deflated (np.savez / np.savez_compressed). */
import { inflateRawSync } from "node:zlib";
import { NpyError, readNpy, type NpyArray } from "./npy.js";

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The arrays of an .npz, by name (the member name without ".npy"). */
export function readNpz(bytes: Uint8Array, file = "<npz>"): Map<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new NpyError(file, "is not an .npz (zip) archive");
  const entries = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (offset === 0xffffffff) throw new NpyError(file, "is a ZIP64 archive, which qkit does not read");
  const arrays = new Map<string, NpyArray>();
  for (let e = 0; e < entries; e++) {
    if (view.getUint32(offset, true) !== CENTRAL) throw new NpyError(file, "has a corrupt zip directory");
    const method = view.getUint16(offset + 10, true);
    const compressed = view.getUint32(offset + 20, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const local = view.getUint32(offset + 42, true);
    const name = Buffer.from(bytes.subarray(offset + 46, offset + 46 + nameLength)).toString("utf8");
    offset += 46 + nameLength + extraLength + commentLength;
    if (view.getUint32(local, true) !== LOCAL) throw new NpyError(file, `has a corrupt entry for ${name}`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let member: Uint8Array;
    if (method === 0) member = raw;
    else if (method === 8) member = inflateRawSync(raw);
    else throw new NpyError(file, `compresses ${name} with zip method ${method}; qkit reads stored and deflated members`);
    arrays.set(name.replace(/\.npy$/, ""), readNpy(member, `${file}:${name}`));
  }
  return arrays;
}
