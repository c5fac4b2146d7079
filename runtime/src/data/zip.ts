import { zlib } from "../lazy-builtins.js";
import { DataError } from "./data-error.js";
import { formatSize } from "./limits.js";

/**
 * The entries of a zip archive (stored or deflated), each inflated no further than the size the central directory
 * declares for it and at most `maxBytes` in all: a small archive cannot expand into gigabytes, and an entry that
 * inflates to other than its declared size or checksum is refused.
 */
export function readZip(bytes: Uint8Array, file: string, maxBytes: number): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new DataError(file, `is not a readable .npz (zip) archive: ${why}`);
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65535); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) throw bad("no end of central directory");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) throw bad("a broken central directory");
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const local = view.getUint32(at + 42, true);
    const name = Buffer.from(bytes.subarray(at + 46, at + 46 + nameLength)).toString("utf8");
    at += 46 + nameLength + extraLength + commentLength;
    if (compressed === 0xffffffff || size === 0xffffffff || local === 0xffffffff) throw bad(`entry '${name}' is larger than 4 GiB (zip64)`);
    total += size;
    if (total > maxBytes) {
      throw new DataError(file, `expands to more than ${formatSize(maxBytes)} (entry '${name}' declares ${formatSize(size)}), more than qkit reads from one archive; split it or pass --limit`);
    }
    if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) throw bad(`entry '${name}' has no local header`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = bytes.subarray(start, start + compressed);
    if (data.length !== compressed) throw bad(`entry '${name}' is truncated`);
    let content: Uint8Array;
    if (method === 0) content = data;
    else if (method === 8) {
      try {
        content = zlib().inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
      } catch (error) {
        throw bad(`entry '${name}' does not inflate to its declared ${size} bytes (${(error as Error).message})`);
      }
    } else throw bad(`entry '${name}' uses compression method ${method} (only stored and deflated are read)`);
    if (content.length !== size) throw bad(`entry '${name}' holds ${content.length} bytes, its header declares ${size}`);
    const { crc32 } = zlib();
    if (typeof crc32 === "function" && crc32(content) >>> 0 !== crc) throw bad(`entry '${name}' fails its checksum`);
    entries.set(name, content);
  }
  return entries;
}
