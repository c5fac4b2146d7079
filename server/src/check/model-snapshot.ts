import * as path from "node:path";
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import * as v8 from "node:v8";
import { loadModel, onnx, type Model, type Node } from "qkit/tooling";
import { outline, OutlineBuilder, type OutlineHeader, type OutlineNode } from "../workspace/model-outline.js";

/**
 * A loaded model in the form a check sandbox starts from fastest: the graph as the load worker left it (decoded,
 * validated, sorted, normalized, shape-inferred), as plain data, with each large tensor's bytes left in the model file
 * and named by their offset. A sandbox rebuilds the graph from it in a few milliseconds instead of decoding the
 * file, and reads a tensor's bytes from the file only when something reads `rawData` (the checker never reads a
 * weight; a quantizer may). The snapshot holds no weights, so the server can keep it and send it to every sandbox.
 */
interface Snapshot {
  format: typeof FORMAT;
  /** `size:mtimeMs` of the file the offsets point into. */
  stamp: string;
  header: OutlineHeader & ModelFields & { graphDocString: string };
  nodes: SnapshotNode[];
}

type ModelFields = Pick<Model, "producerName" | "producerVersion" | "domain" | "modelVersion" | "docString" | "metadataProps" | "normalization">;

interface SnapshotNode extends OutlineNode {
  docString: string;
  /** The parameter's TensorProto, encoded (64-bit fields stay exact), without `rawData` when `raw` says where it is. */
  tensorProto?: Uint8Array;
  raw?: { offset: number; length: number };
  /** Positions of the node's users in the order they became users (the graph keeps that order). */
  users: number[];
  /** Every meta field but the ValueInfoProtos, which travel encoded. */
  fullMeta: Record<string, unknown>;
  valueInfo?: Uint8Array;
  outputValueInfos?: Uint8Array[];
}

const FORMAT = 1;
/** Tensors this small travel inside the snapshot: a read of the file would cost more than the bytes. */
const MIN_REFERENCED_BYTES = 256;
/** A model whose tensors do not lie in its file (external data, float_data) has no snapshot above this. */
const MAX_INLINE_BYTES = 4 * 2 ** 20;

/**
 * Load a model as `loadModel` does, and its snapshot when the file held still while it was read (the offsets must
 * point into the bytes that were decoded). Errors are the loader's one-line messages.
 */
export async function loadWithSnapshot(file: string): Promise<{ model: Model; snapshot: Uint8Array | undefined }> {
  const read = readStill(file);
  if (!read) return { model: await loadModel(file), snapshot: undefined };
  const model = await loadModel(read.bytes, { name: file, baseDir: path.dirname(path.resolve(file)) });
  return { model, snapshot: snapshotModel(model, read.bytes, read.stamp) };
}

/** The file's bytes and their stamp, when it did not change while read; the loader's own read says what is wrong otherwise. */
function readStill(file: string): { bytes: Uint8Array; stamp: string } | undefined {
  try {
    const before = fileStamp(file);
    const bytes = readFileSync(file);
    return before === fileStamp(file) ? { bytes, stamp: before } : undefined;
  } catch {
    return undefined;
  }
}

/** A file's `size:mtimeMs`, as the server and the sandboxes compare it. */
export function fileStamp(file: string): string {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
}

/**
 * The snapshot of `model`, loaded from `bytes` (the whole file, whose stamp is `stamp`); undefined for a model it
 * cannot describe exactly (local functions, training info, sparse initializers, or too much data outside the file):
 * sandboxes then decode the file themselves.
 */
export function snapshotModel(model: Model, bytes: Uint8Array, stamp: string): Uint8Array | undefined {
  const graph = model.graph;
  if (model.functions.length || model.trainingInfo.length || graph.passthrough.sparseInitializer.length || graph.passthrough.quantizationAnnotation.length) return undefined;
  let inline = 0;
  const parts = [...outline(model, Number.MAX_SAFE_INTEGER)];
  const header = parts[0] as OutlineHeader;
  const outlined = (parts[1] ?? []) as OutlineNode[];
  const nodes = graph.nodes.map((node, i): SnapshotNode => {
    const { valueInfo, outputValueInfos, ...fullMeta } = node.meta as Record<string, unknown>;
    const snapshot: SnapshotNode = { ...outlined[i]!, docString: node.docString, users: [...node.users].map((u) => graph.indexOf(u)), fullMeta };
    if (valueInfo) snapshot.valueInfo = onnx.ValueInfoProto.encode(valueInfo as onnx.IValueInfoProto).finish();
    if (Array.isArray(outputValueInfos)) snapshot.outputValueInfos = outputValueInfos.map((v: onnx.IValueInfoProto) => onnx.ValueInfoProto.encode(v).finish());
    const tensor = node.tensor;
    if (tensor) {
      const { rawData, ...rest } = tensor;
      const offset = rawData ? rawData.byteOffset - bytes.byteOffset : -1;
      if (rawData && rawData.buffer === bytes.buffer && rawData.byteLength >= MIN_REFERENCED_BYTES && offset >= 0 && offset + rawData.byteLength <= bytes.byteLength) {
        snapshot.tensorProto = onnx.TensorProto.encode(rest).finish();
        snapshot.raw = { offset, length: rawData.byteLength };
      } else {
        snapshot.tensorProto = onnx.TensorProto.encode(tensor).finish();
        inline += snapshot.tensorProto.byteLength;
      }
    }
    return snapshot;
  });
  if (inline > MAX_INLINE_BYTES) return undefined;
  const { producerName, producerVersion, domain, modelVersion, docString, metadataProps, normalization } = model;
  const snapshot: Snapshot = {
    format: FORMAT,
    stamp,
    header: { ...header, producerName, producerVersion, domain, modelVersion, docString, metadataProps, normalization, graphDocString: graph.docString },
    nodes,
  };
  try {
    // A buffer of its own: it is moved, not copied, from the load worker to the server.
    return new Uint8Array(v8.serialize(snapshot));
  } catch {
    // Meta a structured clone cannot carry: the sandboxes decode the file.
    return undefined;
  }
}

/**
 * The model a snapshot describes, its large tensors read from `file` when first read. Undefined when the snapshot
 * is of another format or of another version of the file (`stamp`, as the caller found it on disk).
 */
export function modelFromSnapshot(bytes: Uint8Array, file: string, stamp: string): Model | undefined {
  const snapshot = v8.deserialize(bytes) as Snapshot;
  if (snapshot.format !== FORMAT || snapshot.stamp !== stamp) return undefined;
  const reader = new LazyFileReader(file);
  const { header } = snapshot;
  const builder = new OutlineBuilder(header, file, {
    tensor(o) {
      const s = o as SnapshotNode;
      const tensor = onnx.TensorProto.decode(s.tensorProto!);
      if (s.raw) reader.defer(tensor, s.raw.offset, s.raw.length);
      return tensor;
    },
    node(node: Node, o) {
      const s = o as SnapshotNode;
      node.docString = s.docString;
      Object.assign(node.meta, s.fullMeta);
      if (s.valueInfo) node.meta.valueInfo = onnx.ValueInfoProto.decode(s.valueInfo);
      if (s.outputValueInfos) node.meta.outputValueInfos = s.outputValueInfos.map((v) => onnx.ValueInfoProto.decode(v));
    },
  });
  builder.add(snapshot.nodes);
  const model = builder.model;
  const nodes = model.graph.nodes;
  snapshot.nodes.forEach((s, i) => {
    const users = nodes[i]!.users as Set<Node>;
    users.clear();
    for (const u of s.users) users.add(nodes[u]!);
  });
  model.graph.docString = header.graphDocString;
  Object.assign(model, {
    producerName: header.producerName,
    producerVersion: header.producerVersion,
    domain: header.domain,
    modelVersion: header.modelVersion,
    docString: header.docString,
    metadataProps: header.metadataProps,
    normalization: header.normalization,
  });
  return model;
}

/** Tensor bytes read from the model file on first use, each read once. */
class LazyFileReader {
  #fd: number | undefined;

  constructor(private readonly file: string) {}

  defer(tensor: onnx.TensorProto, offset: number, length: number): void {
    Object.defineProperty(tensor, "rawData", {
      configurable: true,
      enumerable: true,
      get: () => {
        const data = this.#read(offset, length);
        Object.defineProperty(tensor, "rawData", { configurable: true, enumerable: true, writable: true, value: data });
        return data;
      },
      set: (value: Uint8Array) => Object.defineProperty(tensor, "rawData", { configurable: true, enumerable: true, writable: true, value }),
    });
  }

  #read(offset: number, length: number): Uint8Array {
    this.#fd ??= openSync(this.file, "r");
    const data = new Uint8Array(length);
    for (let at = 0; at < length; ) {
      const n = readSync(this.#fd, data, at, length - at, offset + at);
      if (n === 0) {
        closeSync(this.#fd);
        this.#fd = undefined;
        throw new Error(`${this.file} is shorter than when the server loaded it; it is checked again once reloaded`);
      }
      at += n;
    }
    return data;
  }
}
