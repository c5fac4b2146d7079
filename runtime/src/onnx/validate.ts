import { onnx } from "./proto.js";
import { attributeTypeName } from "./attributes.js";
import { bytesPerElement, type DataType } from "./data-type.js";
import { tensorDataType } from "./tensor-data.js";
import { ATTRIBUTE_OPSETS, OP_ATTRIBUTES, OP_SINCE, WINDOW_LIMITS, WINDOW_OPS } from "./op-attributes.js";

/** Subgraphs (If/Loop/Scan bodies) nest a few levels in real models; deeper is a broken or hostile file. */
export const MAX_SUBGRAPH_DEPTH = 64;

/**
 * What a decoded model must satisfy before anything builds on it: subgraphs nested at most MAX_SUBGRAPH_DEPTH deep,
 * every stored tensor holding the data its dims declare, each tensor produced once, and the attributes of the
 * operators qkit runs matching their schema (names, types, window values). Throws a plain Error with a one-line
 * message naming the node, attribute or tensor; the loader adds the file. Iterative: any depth is safe to walk.
 */
export function validateModelProto(proto: onnx.IModelProto): void {
  const defaultOpset = proto.opsetImport?.find((o) => !o.domain || o.domain === "ai.onnx");
  const opset = defaultOpset ? Number(defaultOpset.version) : undefined;
  const stack: { graph: onnx.IGraphProto; depth: number; owner: string }[] = [{ graph: proto.graph!, depth: 0, owner: "" }];
  while (stack.length > 0) {
    const { graph, depth, owner } = stack.pop()!;
    if (depth > MAX_SUBGRAPH_DEPTH) {
      throw new Error(`node '${owner}' nests subgraphs more than ${MAX_SUBGRAPH_DEPTH} deep; the file is broken or made to exhaust readers`);
    }
    for (const tensor of graph.initializer ?? []) checkTensorData(tensor, "initializer");
    checkProducers(graph);
    const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
    for (const node of graph.node ?? []) {
      const name = node.name || node.opType || "";
      checkAttributes(node, name, opset);
      checkKernelShape(node, name, initializers);
      for (const attr of node.attribute ?? []) {
        if (attr.t) checkTensorData(attr.t, `attribute '${attr.name}' of node '${name}'`);
        for (const t of attr.tensors ?? []) checkTensorData(t, `attribute '${attr.name}' of node '${name}'`);
        if (attr.g) stack.push({ graph: attr.g, depth: depth + 1, owner: name });
        for (const g of attr.graphs ?? []) stack.push({ graph: g, depth: depth + 1, owner: name });
      }
    }
  }
}

/** Dims that are non-negative integers, and stored values (raw or typed) as many as they say. */
function checkTensorData(tensor: onnx.ITensorProto, what: string): void {
  const name = tensor.name ?? "";
  const dims = (tensor.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`${what} '${name}' has dims [${dims.join(", ")}]; dims must be non-negative integers`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) throw new Error(`${what} '${name}' has dims [${dims.join(", ")}], too many elements to hold`);
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return;
  const type = tensorDataType(tensor);
  const stored = storedElements(tensor, type, count);
  if (stored !== undefined && stored !== count) {
    throw new Error(`${what} '${name}' is ${type}[${dims.join(", ")}] (${count} values) but stores ${Number.isNaN(stored) ? "raw bytes, which string tensors cannot" : stored}; re-export the model with its weights`);
  }
}

function storedElements(tensor: onnx.ITensorProto, type: string, count: number): number | undefined {
  if (tensor.rawData && tensor.rawData.length > 0) {
    if (type === "string") return NaN;
    const per = bytesPerElement(type as DataType);
    // Packed 4-bit types: two values a byte, the last byte possibly half used.
    return per < 1 ? (tensor.rawData.length === Math.ceil(count * per) ? count : Math.floor(tensor.rawData.length / per)) : tensor.rawData.length / per;
  }
  switch (type) {
    case "float32": return tensor.floatData?.length ?? 0;
    case "complex64": return (tensor.floatData?.length ?? 0) / 2;
    case "float64": return tensor.doubleData?.length ?? 0;
    case "complex128": return (tensor.doubleData?.length ?? 0) / 2;
    case "int64": return tensor.int64Data?.length ?? 0;
    case "uint32": case "uint64": return tensor.uint64Data?.length ?? 0;
    case "string": return tensor.stringData?.length ?? 0;
    case "int4": case "uint4": return undefined;
    default: return tensor.int32Data?.length ?? 0;
  }
}

/** Every tensor name has one producer: a graph input, an initializer, or one output of one node. */
function checkProducers(graph: onnx.IGraphProto): void {
  const producer = new Map<string, string>();
  const claim = (tensor: string, by: string) => {
    if (!tensor) return;
    const earlier = producer.get(tensor);
    if (earlier !== undefined && earlier !== by) {
      throw new Error(`tensor '${tensor}' is produced twice, by ${earlier} and by ${by}; every tensor needs exactly one producer`);
    }
    producer.set(tensor, by);
  };
  for (const input of graph.input ?? []) claim(input.name ?? "", "a graph input");
  for (const t of graph.initializer ?? []) if (!producer.has(t.name ?? "")) claim(t.name ?? "", "an initializer");
  for (const node of graph.node ?? []) {
    const outputs = (node.output ?? []).filter(Boolean);
    const by = `node '${node.name || node.opType}'`;
    if (new Set(outputs).size !== outputs.length) {
      const twice = outputs.find((o, i) => outputs.indexOf(o) !== i)!;
      throw new Error(`${by} lists output '${twice}' twice; every tensor needs exactly one producer`);
    }
    for (const output of outputs) claim(output, by);
  }
  const outputs = (graph.output ?? []).map((o) => o.name ?? "");
  const twice = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (twice !== undefined) throw new Error(`graph output '${twice}' is listed twice`);
}

const TYPE_OF: Record<string, number> = Object.fromEntries(
  Object.entries(onnx.AttributeProto.AttributeType).filter(([, v]) => typeof v === "number"),
) as Record<string, number>;

/** Where a convolution's weight is an initializer, its spatial dims are the kernel: `kernel_shape` must agree. */
const WEIGHT_INPUT: Record<string, number> = { Conv: 1, ConvInteger: 1, ConvTranspose: 1, QLinearConv: 3 };

function checkKernelShape(node: onnx.INodeProto, name: string, initializers: Map<string, onnx.ITensorProto>): void {
  if (node.domain && node.domain !== "ai.onnx") return;
  const at = WEIGHT_INPUT[node.opType ?? ""];
  const kernel = node.attribute?.find((a) => a.name === "kernel_shape");
  if (at === undefined || !kernel) return;
  const weight = initializers.get(node.input?.[at] ?? "");
  if (!weight) return;
  const spatial = (weight.dims ?? []).slice(2).map(Number);
  const stated = (kernel.ints ?? []).map(Number);
  if (stated.length !== spatial.length || stated.some((k, i) => k !== spatial[i])) {
    throw new Error(`node '${name}' (${node.opType}) has kernel_shape [${stated.join(", ")}], but its weight '${weight.name}' has a [${spatial.join(", ")}] kernel`);
  }
}

function checkAttributes(node: onnx.INodeProto, name: string, opset: number | undefined): void {
  if (node.domain && node.domain !== "ai.onnx") return;
  const opType = node.opType ?? "";
  const since = OP_SINCE[opType];
  if (since !== undefined && opset !== undefined && opset < since) {
    throw new Error(`node '${name}' is ${opType}, which ONNX has only from opset ${since} on (the model imports opset ${opset})`);
  }
  const schema = OP_ATTRIBUTES[opType];
  if (!schema) return;
  const seen = new Set<string>();
  for (const attr of node.attribute ?? []) {
    const attrName = attr.name ?? "";
    if (seen.has(attrName)) throw new Error(`node '${name}' (${opType}) has attribute '${attrName}' twice`);
    seen.add(attrName);
    const kind = schema[attrName];
    if (!kind) {
      const known = Object.keys(schema);
      throw new Error(`node '${name}' (${opType}) has attribute '${attrName}', which ${opType} does not define (${known.length > 0 ? `it takes ${known.join(", ")}` : "it takes none"})`);
    }
    const range = ATTRIBUTE_OPSETS[`${opType}.${attrName}`];
    if (range && opset !== undefined && (opset < range[0] || opset > (range[1] ?? Infinity))) {
      throw new Error(`node '${name}' (${opType}) has attribute '${attrName}', which ${opType} has ${opset < range[0] ? `only from opset ${range[0]} on` : `only up to opset ${range[1]}`} (the model imports opset ${opset})`);
    }
    // IR < 2 files leave the type unset; the populated field is read as it is.
    if (attr.type && attr.type !== TYPE_OF[kind]) {
      throw new Error(`node '${name}' (${opType}) gives attribute '${attrName}' as ${attributeTypeName(attr)}; ${opType} takes ${kind}`);
    }
    if (WINDOW_OPS.has(opType) && attrName in WINDOW_LIMITS) {
      const values = (attr.ints ?? []).map(Number);
      const min = WINDOW_LIMITS[attrName]!;
      if (values.some((v) => v < min)) {
        throw new Error(`node '${name}' (${opType}) has ${attrName} [${values.join(", ")}]; each must be ${min === 0 ? "0 or more" : `${min} or more`}`);
      }
    }
    if (attrName === "group" && Number(attr.i ?? 1) < 1) throw new Error(`node '${name}' (${opType}) has group ${Number(attr.i)}; it must be 1 or more`);
  }
}
