import { promises as fs, statSync } from "node:fs";
import * as path from "node:path";
import type { Dim } from "../graph/node.js";
import type { DataType } from "../onnx/data-type.js";
import { Tensor } from "../engine/tensor.js";
import { UserModuleLoader } from "../user-code/user-module-loader.js";
import { DataError } from "./data-error.js";
import { MAX_DECODED_BYTES } from "./limits.js";
import { parseNpz } from "./npz.js";
import { parseTensorProto } from "./tensor-proto.js";
import { idxChunks, npyChunks } from "./chunked.js";
import { IMAGE_EXTENSIONS, imageToCHW, type Normalization } from "./images.js";

/** What the data must fit: the model's inputs. */
export interface InputSpec {
  name: string;
  dtype: DataType | undefined;
  shape: Dim[] | undefined;
}

export interface DataOptions {
  /** Items per batch (along the first dimension); default 1. */
  batchSize?: number;
  /** Stop after this many items. */
  limit?: number;
  /** Turns image and IDX pixels into floats. */
  normalize?: Normalization;
}

export type Sample = Record<string, Tensor>;

const MODULE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".cjs", ".mjs"]);
const TENSOR_EXTENSIONS = new Set([".npy", ".npz", ".pb"]);

/** The most bytes one item for `input` can take (8-byte elements), when its item shape is known. */
function largestItemBytes(input: InputSpec): number {
  const dims = itemDims(input);
  if (!dims || !dims.every((d): d is number => typeof d === "number")) return MAX_DECODED_BYTES;
  return Math.min(MAX_DECODED_BYTES, Math.max(1, dims.reduce((a, b) => a * b, 1)) * 8);
}

/** Per-item dims of an input, without the batch dimension. */
function itemDims(input: InputSpec): Dim[] | undefined {
  return input.shape?.slice(1);
}

/** Make `tensor` ([n, ...]) fit `input`: equal item dims, or the same number of elements per item (reshaped). */
function fit(tensor: Tensor, input: InputSpec, where: string): Tensor {
  const want = itemDims(input);
  let data = tensor.data;
  if (input.dtype === "float32" && !(data instanceof Float32Array)) {
    if (Array.isArray(data)) throw new DataError(where, `holds strings; input '${input.name}' takes float32`);
    if (tensor.type !== "float64" && tensor.type !== "float16") warnOnce(where, `holds ${tensor.type} values, given to float32 input '${input.name}' as they are (unscaled: 255 stays 255); convert them as the model expects, or use images/IDX with --scale`);
    data = Float32Array.from(data as ArrayLike<number>, Number);
  }
  if (!want) return new Tensor(input.dtype === "float32" ? "float32" : tensor.type, data, tensor.dims);
  const got = tensor.dims.slice(1);
  const matches = got.length === want.length && want.every((d, i) => typeof d !== "number" || d === got[i]);
  if (matches) return new Tensor(input.dtype === "float32" ? "float32" : tensor.type, data, tensor.dims);
  const wantCount = want.every((d) => typeof d === "number") ? (want as number[]).reduce((a, b) => a * b, 1) : undefined;
  const gotCount = got.reduce((a, b) => a * b, 1);
  if (wantCount !== undefined && wantCount === gotCount) {
    return new Tensor(input.dtype === "float32" ? "float32" : tensor.type, data, [tensor.dims[0]!, ...(want as number[])]);
  }
  throw new DataError(where, `has items of shape [${got.join(", ")}], but input '${input.name}' takes [${want.join(", ")}] (after the batch dimension)`);
}

const warned = new Set<string>();

/** One warning per file and kind, on stderr through Node's warnings (the CLI shows them; `--no-warnings` hides them). */
function warnOnce(where: string, message: string): void {
  const key = `${where.replace(/ \(sample \d+\)$/, "")}\0${message}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(`${where}: ${message}`, { code: "QKIT_DATA_CAST" });
}

function pixelsToTensor(data: Uint8Array, dims: number[], input: InputSpec, norm: Normalization, where: string): Tensor {
  const scale = norm.scale ?? 1 / 255;
  const mean = norm.mean?.[0] ?? 0;
  const std = norm.std?.[0] ?? 1;
  const floats = Float32Array.from(data, (p) => (p * scale - mean) / std);
  return fit(new Tensor("float32", floats, dims), input, where);
}

/** Items from one file, each a Sample whose tensors have a leading batch dimension. */
async function* fileItems(file: string, inputs: InputSpec[], options: DataOptions): AsyncGenerator<Sample> {
  const ext = path.extname(file).toLowerCase();
  const only = inputs.length === 1 ? inputs[0] : undefined;
  // Arrays of items are read a chunk at a time: memory follows the batch, and a limit stops the reading.
  const chunk = Math.min(Math.max(options.batchSize ?? 1, 64), options.limit ?? Infinity);
  const maxItemBytes = only ? largestItemBytes(only) : MAX_DECODED_BYTES;
  if (ext === ".npy") {
    if (!only) throw new DataError(file, `the model has ${inputs.length} inputs; give an .npz with one array per input name`);
    for await (const part of npyChunks(file, chunk, maxItemBytes)) yield { [only.name]: fit(part, only, file) };
  } else if (ext === ".npz") {
    const arrays = parseNpz(await fs.readFile(file), file);
    const sample: Sample = {};
    for (const input of inputs) {
      const array = arrays.get(input.name) ?? (only && arrays.size === 1 ? [...arrays.values()][0] : undefined);
      if (!array) throw new DataError(file, `has no array named '${input.name}' (it has ${[...arrays.keys()].join(", ")})`);
      sample[input.name] = fit(array, input, `${file}:${input.name}`);
    }
    yield sample;
  } else if (ext === ".pb") {
    const { name, tensor } = parseTensorProto(await fs.readFile(file), file);
    const input = inputs.find((i) => i.name === name) ?? only;
    if (!input) throw new DataError(file, `holds tensor '${name}', which is none of the model's inputs (${inputs.map((i) => i.name).join(", ")})`);
    const withBatch = input.shape && tensor.dims.length === input.shape.length - 1 ? new Tensor(tensor.type, tensor.data, [1, ...tensor.dims]) : tensor;
    yield { [input.name]: fit(withBatch, input, file) };
  } else if (IMAGE_EXTENSIONS.has(ext)) {
    if (!only || !only.shape || only.shape.length !== 4) throw new DataError(file, "images need a model with one NCHW input");
    const [, c, h, w] = only.shape;
    if (typeof c !== "number" || typeof h !== "number" || typeof w !== "number") throw new DataError(file, `the model's input has a symbolic image size [${only.shape.join(", ")}]`);
    yield { [only.name]: new Tensor("float32", imageToCHW(await fs.readFile(file), file, c, h, w, options.normalize), [1, c, h, w]) };
  } else if (ext === ".gz" || ext === ".idx" || /-ubyte$/.test(file)) {
    if (!only) throw new DataError(file, "IDX images need a model with one input");
    for await (const part of idxChunks(file, chunk, maxItemBytes)) yield { [only.name]: pixelsToTensor(part.data as Uint8Array, [...part.dims], only, options.normalize ?? {}, file) };
  } else {
    throw new DataError(file, `is not a data file qkit reads (.npy, .npz, .pb, .png, .jpg, IDX, a folder of them, or a .ts/.js module)`);
  }
}

/** How long a data module may take to produce one sample (QKIT_SAMPLE_TIMEOUT_MS overrides it). */
const SAMPLE_TIMEOUT_MS = 120_000;

async function* moduleItems(file: string, inputs: InputSpec[]): AsyncGenerator<Sample> {
  const timeoutMs = Number(process.env.QKIT_SAMPLE_TIMEOUT_MS) || SAMPLE_TIMEOUT_MS;
  // A data module's own exception is its author's to fix: one line naming the file and the sample, not a stack.
  const threw = (what: string, error: unknown) => {
    if (error instanceof DataError) return error;
    const name = error instanceof Error ? error.name : "Error";
    return new DataError(file, `${what} threw ${name}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`, { cause: error });
  };
  let exports: Record<string, unknown>;
  try {
    exports = new UserModuleLoader().load(file) as Record<string, unknown>;
  } catch (error) {
    throw threw("loading the data module", error);
  }
  const source = exports.default ?? exports.samples ?? exports.data;
  let iterable: unknown;
  try {
    iterable = typeof source === "function" ? await withTimeout((source as () => unknown)(), timeoutMs, file, "its exported function") : source;
  } catch (error) {
    throw threw("its exported function", error);
  }
  if (!iterable || (typeof (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] !== "function" && typeof (iterable as Iterable<unknown>)[Symbol.iterator] !== "function")) {
    throw new DataError(file, "must export (as default) an iterable or async iterable of { inputName: Tensor } samples, or a function returning one");
  }
  let iterator: AsyncIterator<Record<string, unknown>> | Iterator<Record<string, unknown>>;
  try {
    iterator = typeof (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
      ? (iterable as AsyncIterable<Record<string, unknown>>)[Symbol.asyncIterator]()
      : (iterable as Iterable<Record<string, unknown>>)[Symbol.iterator]();
  } catch (error) {
    throw threw("starting its iteration", error);
  }
  try {
    yield* moduleSamples(file, inputs, iterator, timeoutMs, threw);
  } finally {
    // Stopped early (a limit, an error): let the module's own generator clean up, without waiting for it (a return
    // queues behind a next that may never settle).
    Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

async function* moduleSamples(
  file: string, inputs: InputSpec[], iterator: AsyncIterator<Record<string, unknown>> | Iterator<Record<string, unknown>>,
  timeoutMs: number, threw: (what: string, error: unknown) => DataError,
): AsyncGenerator<Sample> {
  let index = 0;
  for (;;) {
    let next: IteratorResult<Record<string, unknown>>;
    try {
      next = await withTimeout(iterator.next(), timeoutMs, file, `sample ${index}`);
    } catch (error) {
      throw threw(`sample ${index}`, error);
    }
    if (next.done) return;
    const sample = next.value;
    const out: Sample = {};
    for (const input of inputs) {
      const value = sample?.[input.name];
      if (!(value instanceof Tensor)) throw new DataError(file, `sample ${index} has no Tensor for input '${input.name}'`);
      out[input.name] = fit(value, input, `${file} (sample ${index})`);
    }
    index++;
    yield out;
  }
}

/**
 * A promise that a data module may never settle: waiting on it would let the process end with nothing written, so it
 * is raced against a timer that turns silence into an error naming the file and what it was waiting for.
 */
async function withTimeout<T>(value: T | Promise<T>, ms: number, file: string, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DataError(file, `${what} did not arrive within ${ms / 1000} s (a promise that never settles?); fix the data module or set QKIT_SAMPLE_TIMEOUT_MS`)), ms);
  });
  try {
    return await Promise.race([value, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function* itemsOf(location: string, inputs: InputSpec[], options: DataOptions): AsyncGenerator<Sample> {
  let stat;
  try {
    stat = statSync(location);
  } catch {
    throw new DataError(location, "no such file or folder; check the path");
  }
  if (stat.isDirectory()) {
    const entries = (await fs.readdir(location)).filter((f) => !f.startsWith(".")).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const usable = entries.filter((f) => TENSOR_EXTENSIONS.has(path.extname(f).toLowerCase()) || IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase()));
    if (usable.length === 0) throw new DataError(location, "holds no .npy, .npz, .pb, .png or .jpg files");
    for (const f of usable) yield* fileItems(path.join(location, f), inputs, options);
  } else if (MODULE_EXTENSIONS.has(path.extname(location))) {
    yield* moduleItems(location, inputs);
  } else {
    yield* fileItems(location, inputs, options);
  }
}

/** Split or join items along the first dimension into batches of `batchSize`. */
function concat(parts: Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const total = parts.reduce((n, t) => n + t.data.length, 0);
  const Ctor = (first.data as Float32Array).constructor as new (n: number) => Float32Array;
  const out = new Ctor(total);
  let at = 0;
  for (const p of parts) {
    out.set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return new Tensor(first.type, out, [parts.reduce((n, t) => n + t.dims[0]!, 0), ...first.dims.slice(1)]);
}

/** Items from..to of a batch, as a view (no copy: a large file is cut into many batches). */
function slice(t: Tensor, from: number, to: number): Tensor {
  const per = t.dims.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(t.type, (t.data as Float32Array).subarray(from * per, to * per), [to - from, ...t.dims.slice(1)]);
}

/**
 * Calibration (or evaluation) data from a path: an .npy/.npz/.pb file, an image, IDX images, a folder of those, or a
 * TypeScript/JavaScript module exporting an (async) iterable of samples. Yields batches of `batchSize` items.
 */
export async function* openData(location: string, inputs: InputSpec[], options: DataOptions = {}): AsyncGenerator<Sample> {
  const batchSize = Math.max(1, options.batchSize ?? 1);
  const limit = options.limit ?? Infinity;
  let pending: Sample[] = [];
  let pendingCount = 0;
  let emitted = 0;
  const flush = function* (all: boolean): Generator<Sample> {
    while (pendingCount >= batchSize || (all && pendingCount > 0)) {
      const take = Math.min(batchSize, pendingCount, limit - emitted);
      if (take <= 0) return;
      const merged: Sample = {};
      for (const input of inputs) merged[input.name] = concat(pending.map((s) => s[input.name]!));
      const batch: Sample = {};
      const rest: Sample = {};
      for (const [name, t] of Object.entries(merged)) {
        batch[name] = slice(t, 0, take);
        rest[name] = slice(t, take, t.dims[0]!);
      }
      pendingCount -= take;
      pending = pendingCount > 0 ? [rest] : [];
      emitted += take;
      yield batch;
    }
  };
  for await (const item of itemsOf(location, inputs, options)) {
    pending.push(item);
    pendingCount += Object.values(item)[0]?.dims[0] ?? 0;
    yield* flush(false);
    if (emitted >= limit) return;
  }
  yield* flush(true);
}

/** The inputs of a model, for openData. */
export function modelInputs(graph: { placeholders(): { valueName: string; meta: { dtype?: DataType; shape?: Dim[] } }[] }): InputSpec[] {
  return graph.placeholders().map((p) => ({ name: p.valueName, dtype: p.meta.dtype, shape: p.meta.shape }));
}
