import { onnx, toBigInt, toNumber } from "./proto.js";
import { makeTensor } from "./tensor-data.js";
import { freshNames } from "./fresh-names.js";

/**
 * The opset older models are read as: the first with QuantizeLinear and DequantizeLinear, so that a model a user
 * brings from an old exporter can be quantized as it is.
 */
export const QDQ_OPSET = 10;

/**
 * Why a model of opsets 7–9 cannot be written in opset 10's form, naming the node; undefined when it can. Such a model
 * is read as it is (the engine runs every opset), and only quantizing it is refused, with this reason.
 */
export function opset10Blocker(graph: onnx.IGraphProto, version: number): string | undefined {
  for (const node of graph.node ?? []) {
    const label = `${node.opType} '${node.name || node.output?.[0] || "?"}'`;
    if (node.opType === "Scan" && version < 9) {
      return `${label} has opset 8's batch axis and sequence_lens, which opset 9 dropped`;
    }
    if (node.opType === "BatchNormalization") {
      const spatial = node.attribute?.find((a) => a.name === "spatial");
      if (spatial && toNumber(spatial.i) === 0) return `${label} normalizes per element (spatial=0), which opset 9 dropped`;
    }
    for (const a of node.attribute ?? []) {
      for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) {
        const inner = opset10Blocker(g, version);
        if (inner) return inner;
      }
    }
  }
  return undefined;
}

/**
 * Rewrite a model of ai.onnx opsets 7–9 into opset 10's form, in place, as onnx.version_converter would; call
 * `opset10Blocker` first. Only how nodes are written changes: Slice's and TopK's attributes become inputs, Upsample
 * becomes Resize (opset 10's Resize is Upsample under a new name, with the scales as an input), and
 * BatchNormalization's `spatial=1` (the only value opset 9 kept) is dropped.
 */
export function upgradeToOpset10(proto: onnx.IModelProto): void {
  upgradeGraph(proto.graph!, freshNames(proto.graph!));
  for (const o of proto.opsetImport ?? []) if (!o.domain || o.domain === "ai.onnx") o.version = QDQ_OPSET;
}

function upgradeGraph(graph: onnx.IGraphProto, fresh: (base: string) => string): void {
  const addInitializer = (tensor: onnx.TensorProto) => {
    graph.initializer = [...(graph.initializer ?? []), tensor];
    return tensor.name;
  };
  const int64s = (base: string, values: bigint[]) =>
    addInitializer(makeTensor(fresh(base), "int64", [values.length], BigInt64Array.from(values)));

  for (const node of graph.node ?? []) {
    const attrs = node.attribute ?? [];
    const attr = (name: string) => attrs.find((a) => a.name === name);
    const drop = (...dropped: string[]) => { node.attribute = (node.attribute ?? []).filter((a) => !dropped.includes(a.name ?? "")); };
    const base = node.output?.[0] || node.name || node.opType || "node";

    if (node.opType === "Slice" && attr("starts")) {
      const starts = int64s(`${base}_starts`, attr("starts")!.ints!.map(toBigInt));
      const ends = int64s(`${base}_ends`, attr("ends")?.ints?.map(toBigInt) ?? []);
      const axes = attr("axes") ? [int64s(`${base}_axes`, attr("axes")!.ints!.map(toBigInt))] : [];
      drop("starts", "ends", "axes");
      node.input = [node.input![0]!, starts, ends, ...axes];
    } else if (node.opType === "TopK" && attr("k")) {
      const k = int64s(`${base}_k`, [toBigInt(attr("k")!.i)]);
      drop("k");
      node.input = [node.input![0]!, k];
    } else if (node.opType === "Upsample") {
      const scales = attr("scales");
      if (scales) {
        const values = Float32Array.from(scales.floats ?? []);
        node.input = [node.input![0]!, addInitializer(makeTensor(fresh(`${base}_scales`), "float32", [values.length], values))];
        drop("scales");
      }
      node.opType = "Resize";
    } else if (node.opType === "BatchNormalization") {
      drop("spatial");
    }

    for (const a of node.attribute ?? []) {
      for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) upgradeGraph(g, fresh);
    }
  }
}

