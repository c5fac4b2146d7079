import { createReadStream, promises as fs } from "node:fs";
import { pipeline } from "node:stream";
import { zlib } from "../lazy-builtins.js";
import type { Readable } from "node:stream";
import { Tensor } from "../engine/tensor.js";
import { DataError } from "./data-error.js";
import { formatSize, MAX_DECODED_BYTES } from "./limits.js";
import { idxHeaderLength, parseIdxDims } from "./idx.js";
import { npyElementBytes, npyHeaderLength, npyTensor, parseNpyHeader } from "./npy.js";

/**
 * Reading arrays of items (IDX images, .npy) a few items at a time: memory is bounded by the chunk, not the file, and
 * a consumer that stops early (`--limit`) stops the reading — the stream is closed when the generator returns.
 */

async function isGzipped(file: string): Promise<boolean> {
  const handle = await fs.open(file);
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** The file's bytes, gunzipped when they are gzipped, as a stream of chunks. */
async function* bytesOf(file: string): AsyncGenerator<Uint8Array> {
  const raw = createReadStream(file);
  const gzipped = await isGzipped(file);
  let stream: Readable = raw;
  if (gzipped) {
    const gunzip = zlib().createGunzip();
    // pipeline destroys both streams when either fails or the reader stops early.
    pipeline(raw, gunzip, () => undefined);
    stream = gunzip;
  }
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (gzipped && (error as NodeJS.ErrnoException).code?.startsWith("Z_")) throw new DataError(file, `is not valid gzip data (${(error as Error).message})`, { cause: error });
    throw error;
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

/** Pulls exact byte counts out of a chunk stream. */
class ByteReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #done = false;
  constructor(readonly source: AsyncGenerator<Uint8Array>) {}

  /** Up to `n` bytes (fewer only at the end of the file). */
  async take(n: number): Promise<Uint8Array> {
    while (this.#buffered < n && !this.#done) {
      const next = await this.source.next();
      if (next.done) this.#done = true;
      else {
        this.#chunks.push(next.value);
        this.#buffered += next.value.length;
      }
    }
    const size = Math.min(n, this.#buffered);
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length, size - at);
      out.set(chunk.subarray(0, part), at);
      at += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    this.#buffered -= size;
    return out;
  }

  async close(): Promise<void> {
    await this.source.return(undefined);
  }
}

/** An item is read whole: its size comes from the header, and a header can claim anything. */
async function refuseLargeItems(reader: ByteReader, file: string, dims: number[], itemBytes: number, maxItemBytes: number): Promise<void> {
  if (itemBytes <= maxItemBytes) return;
  await reader.close();
  throw new DataError(file, `declares items of ${dims.slice(1).join(" × ")} (${formatSize(itemBytes)} each), more than the model's input can take (${formatSize(maxItemBytes)}); check the file`);
}

/** Items per chunk: enough to amortise the reads, few enough that memory stays small. */
function itemsPerChunk(itemBytes: number, wanted: number): number {
  return Math.max(1, Math.min(wanted, Math.floor((4 << 20) / Math.max(1, itemBytes)) || 1));
}

async function* readItems(
  reader: ByteReader, file: string, dims: number[], itemBytes: number, wanted: number,
  make: (bytes: Uint8Array, items: number) => Tensor,
): AsyncGenerator<Tensor> {
  const total = dims[0] ?? 1;
  const per = itemsPerChunk(itemBytes, wanted);
  try {
    for (let done = 0; done < total;) {
      const items = Math.min(per, total - done);
      const bytes = await reader.take(items * itemBytes);
      if (bytes.length < items * itemBytes) {
        throw new DataError(file, `is truncated: its dims (${dims.join(" × ")}) need ${total * itemBytes} bytes of data, it ends after item ${done + Math.floor(bytes.length / itemBytes)}`);
      }
      done += items;
      yield make(bytes, items);
    }
  } finally {
    await reader.close();
  }
}

/**
 * IDX images (gzipped or not), `chunk` items at a time, as uint8 tensors [items, ...dims.slice(1)]. `chunk` is a hint:
 * the reader yields what it has read.
 */
export async function* idxChunks(file: string, chunk: number, maxItemBytes = MAX_DECODED_BYTES): AsyncGenerator<Tensor> {
  const reader = new ByteReader(bytesOf(file));
  const prelude = await reader.take(4);
  let dims: number[];
  try {
    dims = parseIdxDims(new Uint8Array([...prelude, ...(await reader.take(idxHeaderLength(prelude, file) - 4))]), file);
  } catch (error) {
    await reader.close();
    throw error;
  }
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  await refuseLargeItems(reader, file, dims, itemBytes, maxItemBytes);
  yield* readItems(reader, file, dims, itemBytes, chunk, (bytes, items) => new Tensor("uint8", bytes, [items, ...dims.slice(1)]));
}

/** A .npy array, `chunk` items (rows of its first dimension) at a time. */
export async function* npyChunks(file: string, chunk: number, maxItemBytes = MAX_DECODED_BYTES): AsyncGenerator<Tensor> {
  const reader = new ByteReader(bytesOf(file));
  let header;
  try {
    const prelude = await reader.take(12);
    const length = npyHeaderLength(prelude, file);
    header = parseNpyHeader(new Uint8Array([...prelude, ...(await reader.take(length - 12))]), file);
  } catch (error) {
    await reader.close();
    throw error;
  }
  const { type, dims } = header;
  const itemDims = dims.slice(1);
  const itemBytes = itemDims.reduce((a, b) => a * b, 1) * npyElementBytes(type);
  await refuseLargeItems(reader, file, dims, itemBytes, maxItemBytes);
  if (dims.length === 0) {
    yield* readItems(reader, file, [1], itemBytes, 1, (bytes) => npyTensor(type, bytes, []));
    return;
  }
  yield* readItems(reader, file, dims, itemBytes, chunk, (bytes, items) => npyTensor(type, bytes, [items, ...itemDims]));
}
