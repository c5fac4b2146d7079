import { promises as fs, constants as fsConstants } from "node:fs";
import * as path from "node:path";
import { onnx, toNumber } from "./proto.js";
import { tensorByteLength, tensorDataType, tensorDims, tensorValues, makeTensor } from "./tensor-data.js";

const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

/** Every tensor stored in a graph: initializers and tensor attributes, in subgraphs too. */
export function* graphTensors(graph: onnx.IGraphProto): Generator<onnx.ITensorProto> {
  yield* graph.initializer ?? [];
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      if (attr.t) yield attr.t;
      yield* attr.tensors ?? [];
      if (attr.g) yield* graphTensors(attr.g);
      for (const g of attr.graphs ?? []) yield* graphTensors(g);
    }
  }
}

export function isExternal(tensor: onnx.ITensorProto): boolean {
  return tensor.dataLocation === EXTERNAL;
}

function entry(tensor: onnx.ITensorProto, key: string): string | undefined {
  return tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/**
 * Read external tensor data into raw_data. Throws a plain Error naming the tensor and file; the loader wraps it.
 * Returns the distinct locations read.
 */
export async function readExternalData(graph: onnx.IGraphProto, baseDir: string): Promise<string[]> {
  const handles = new Map<string, fs.FileHandle>();
  const folder = await fs.realpath(baseDir).catch(() => path.resolve(baseDir));
  try {
    for (const tensor of graphTensors(graph)) {
      if (!isExternal(tensor)) continue;
      const location = entry(tensor, "location");
      const name = tensor.name ?? "";
      if (!location) throw new Error(`tensor '${name}' is marked external but names no location`);
      if (path.isAbsolute(location) || location.split(/[\\/]/).includes("..") || location.includes("\0")) {
        throw new Error(`tensor '${name}' points at '${location}', outside the model's folder`);
      }
      const file = path.join(baseDir, location);
      let handle = handles.get(file);
      if (!handle) {
        handle = await openInside(file, folder, name, location);
        handles.set(file, handle);
      }
      const size = (await handle.stat()).size;
      const offset = decimalEntry(tensor, "offset", name) ?? 0;
      const expected = tensorByteLength({ ...tensor, rawData: null, externalData: null });
      const length = decimalEntry(tensor, "length", name) ?? size - offset;
      if (offset + length > size || length < 0) {
        throw new Error(`tensor '${name}' wants bytes ${offset}..${offset + length} of '${location}', which has ${size}`);
      }
      if (length !== expected) throw new Error(`tensor '${name}' has ${length} bytes in '${location}', its shape needs ${expected}`);
      const bytes = new Uint8Array(length);
      await handle.read(bytes, 0, length, offset);
      tensor.rawData = bytes;
      // Deleted rather than reset: protobufjs writes every field a message owns, defaults included.
      delete tensor.dataLocation;
      tensor.externalData = [];
    }
  } finally {
    for (const h of handles.values()) await h.close();
  }
  return [...handles.keys()].map((f) => path.relative(baseDir, f));
}

/** An offset or length entry: ONNX writes them as decimal integers, and anything else ("1e3", "0x10", "-1") is refused. */
function decimalEntry(tensor: onnx.ITensorProto, key: string, name: string): number | undefined {
  const value = entry(tensor, key);
  if (value === undefined) return undefined;
  const number = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number)) throw new Error(`tensor '${name}' has external data ${key} '${value}'; it must be a decimal integer`);
  return number;
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. O_NOFOLLOW: the path was resolved.
const OPEN_FLAGS = fsConstants.O_RDONLY | (process.platform === "win32" ? 0 : (fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK));

/**
 * Open an external data file only when it is a regular file inside the model's folder: a symlink may not lead out of
 * it (the data would be any file the reader can see), and a FIFO or device would hang or never end.
 */
async function openInside(file: string, folder: string, name: string, location: string): Promise<fs.FileHandle> {
  const cannot = (why: string) => new Error(`tensor '${name}' is stored in '${location}', which ${why}`);
  const real = await fs.realpath(file).catch((e: NodeJS.ErrnoException) => {
    throw cannot(`cannot be read (${e.code ?? e.message}); keep the data file beside the model`);
  });
  if (real !== folder && !real.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep)) {
    throw cannot("leads outside the model's folder (a link); copy the data beside the model");
  }
  const before = await fs.lstat(real);
  if (!before.isFile()) throw cannot("is not a regular file (a FIFO, device or folder); external data must be a plain file");
  const handle = await fs.open(real, OPEN_FLAGS).catch((e: NodeJS.ErrnoException) => {
    throw cannot(`cannot be read (${e.code ?? e.message}); keep the data file beside the model`);
  });
  const after = await handle.stat();
  if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
    await handle.close();
    throw cannot("changed while it was opened; try again");
  }
  return handle;
}

/** Where each externalized tensor's bytes go in the data file. */
export interface ExternalLayout {
  /** The graph to encode: externalized tensors replaced by copies that point into the data file. */
  graph: onnx.IGraphProto;
  /** The data file's contents, in order. */
  chunks: Uint8Array[];
}

const ALIGNMENT = 64;

/**
 * Move every initializer of at least `threshold` bytes into one data file named `location`. The model's own
 * tensors are not changed: the returned graph holds copies.
 */
export function layoutExternalData(graph: onnx.GraphProto, location: string, threshold: number): ExternalLayout {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const initializer = graph.initializer.map((tensor) => {
    if (tensorDataType(tensor) === "string" || tensorByteLength(tensor) < threshold) return tensor;
    const raw = tensor.rawData && tensor.rawData.length > 0
      ? tensor.rawData
      : makeTensor("", tensorDataType(tensor), tensorDims(tensor), tensorValues(tensor) as Exclude<ReturnType<typeof tensorValues>, string[]>).rawData;
    const pad = (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(raw);
    const copy = new onnx.TensorProto({
      name: tensor.name, dataType: tensor.dataType, dims: tensor.dims, ...(tensor.docString ? { docString: tensor.docString } : {}),
      dataLocation: EXTERNAL,
      externalData: [
        { key: "location", value: location },
        { key: "offset", value: String(offset) },
        { key: "length", value: String(raw.length) },
      ],
    });
    offset += raw.length;
    return copy;
  });
  return { graph: new onnx.GraphProto({ ...graph, initializer }), chunks };
}

export function totalTensorBytes(graph: onnx.IGraphProto): number {
  let total = 0;
  for (const t of graphTensors(graph)) total += isExternal(t) ? toNumber(Number(entry(t, "length") ?? 0)) : tensorByteLength(t);
  return total;
}
