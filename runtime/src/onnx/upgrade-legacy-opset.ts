import { onnx, toNumber } from "./proto.js";
import { attributeValue, intAttribute, intsAttribute, floatsAttribute } from "./attributes.js";
import { makeTensor, tensorToNumbers } from "./tensor-data.js";
import { constantTensors, legacyRanks } from "./legacy-ranks.js";
import { freshNames } from "./fresh-names.js";

/** The first opset whose operators qkit runs as written; older models are rewritten into its form when read. */
export const NATIVE_OPSET = 7;

/** Operators that broadcast B onto A under `broadcast`/`axis` attributes up to opset 6, and like NumPy from 7. */
const LEGACY_BROADCAST = new Set(["Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"]);

/**
 * Rewrite a model of ai.onnx opsets 1–6 into opset 7's form, in place, as onnx.version_converter would: what each
 * node means stays; only how it is written changes (attributes opset 7 dropped, operands realigned for its
 * broadcasting, attributes that became inputs or changed type). The model then imports opset 7. A node whose
 * meaning opset 7 cannot express (a BatchNormalization in training mode) throws, naming it; `fail` makes the error.
 */
export function upgradeLegacyOpset(proto: onnx.IModelProto, fail: (message: string) => Error): void {
  const graph = proto.graph!;
  upgradeGraph(graph, new Map(), freshNames(graph), fail);
  for (const o of proto.opsetImport ?? []) if (!o.domain || o.domain === "ai.onnx") o.version = NATIVE_OPSET;
}

function upgradeGraph(
  graph: onnx.IGraphProto, outerRanks: ReadonlyMap<string, number>, fresh: (base: string) => string, fail: (message: string) => Error,
): void {
  const ranks = legacyRanks(graph, outerRanks);
  const constants = constantTensors(graph);
  /** A new initializer holding `tensor`'s data under `dims`, for a node that needs its operand reshaped. */
  const reshaped = (source: string, dims: number[]) => {
    const tensor = constants.get(source)!;
    const copy = onnx.TensorProto.fromObject(onnx.TensorProto.toObject(tensor as onnx.TensorProto));
    copy.name = fresh(`${source}_opset7`);
    copy.dims = dims;
    graph.initializer = [...(graph.initializer ?? []), copy];
    return copy.name;
  };
  const addInitializer = (base: string, values: number[]) => {
    const tensor = makeTensor(fresh(base), "int64", [values.length], BigInt64Array.from(values, BigInt));
    graph.initializer = [...(graph.initializer ?? []), tensor];
    return tensor.name;
  };

  // Unsqueezes made while the nodes are rewritten go in after, each before the first node that reads it.
  const pending: onnx.NodeProto[] = [];
  for (const node of graph.node ?? []) {
    const op = node.opType ?? "";
    const label = `${op} '${node.name || node.output?.[0] || "?"}'`;
    const attrs = node.attribute ?? [];
    const attr = (name: string) => attrs.find((a) => a.name === name);
    const drop = (...dropped: string[]) => { node.attribute = (node.attribute ?? []).filter((a) => !dropped.includes(a.name ?? "")); };
    // Opsets 1–5 named the inputs an operator may overwrite; opset 6 dropped the hint everywhere.
    drop("consumed_inputs");

    if (LEGACY_BROADCAST.has(op)) {
      const broadcast = attr("broadcast");
      const axis = attr("axis");
      drop("broadcast", "axis");
      if (broadcast && toNumber(broadcast.i) !== 0 && axis) {
        const [a, b] = node.input ?? [];
        const rankA = a ? ranks.get(a) : undefined;
        const rankB = b ? ranks.get(b) : undefined;
        if (rankA === undefined || rankB === undefined) {
          throw fail(`${label} broadcasts its second input from axis ${toNumber(axis.i)} over an input of unknown rank, which opset 7 cannot express; declare the inputs' shapes, or convert the model with onnx.version_converter`);
        }
        const start = toNumber(axis.i) < 0 ? toNumber(axis.i) + rankA : toNumber(axis.i);
        const trailing = rankA - start - rankB;
        if (trailing < 0) throw fail(`${label} broadcasts a rank-${rankB} input from axis ${start} of a rank-${rankA} one: it does not fit; the model is invalid`);
        if (trailing > 0) node.input![1] = alignedAt(b!, rankB, trailing);
      }
    } else if (op === "Gemm") {
      drop("broadcast");
    } else if (op === "BatchNormalization") {
      const isTest = attr("is_test");
      if (isTest && toNumber(isTest.i) === 0 && (node.output ?? []).filter(Boolean).length > 1) {
        throw fail(`${label} is in training mode (is_test=0, ${node.output!.length} outputs); export the model in eval mode`);
      }
      drop("is_test");
    } else if (op === "Dropout") {
      drop("is_test");
    } else if (op === "LSTM" || op === "GRU" || op === "RNN") {
      drop("output_sequence");
    } else if (op === "PRelu") {
      // Up to opset 6 a slope of several values is one per channel (axis 1); opset 7 aligns it to the last axis.
      const [x, slope] = node.input ?? [];
      const rankX = x ? ranks.get(x) : undefined;
      const slopeDims = slope ? constants.get(slope)?.dims?.map(toNumber) : undefined;
      const perChannel = slope !== undefined && ranks.get(slope) === 1 && (slopeDims === undefined || slopeDims[0]! > 1);
      if (rankX !== undefined && rankX >= 3 && perChannel) node.input![1] = alignedAt(slope, 1, rankX - 2);
    } else if (op === "Cast") {
      const to = attr("to");
      if (to && to.type === onnx.AttributeProto.AttributeType.STRING) {
        const name = Buffer.from(to.s ?? []).toString("utf8").toUpperCase();
        const code = (onnx.TensorProto.DataType as unknown as Record<string, number>)[name];
        if (code === undefined) throw fail(`${label} casts to '${name}', which is not an ONNX element type`);
        drop("to");
        node.attribute = [...(node.attribute ?? []), intAttribute("to", code)];
      }
    } else if (op === "Reshape") {
      const shape = attr("shape");
      if (shape) {
        drop("shape");
        node.input = [node.input![0]!, addInitializer(`${node.output?.[0] ?? "reshape"}_shape`, attributeValue(shape) as number[])];
      }
    } else if (op === "Concat") {
      if (!attr("axis")) node.attribute = [...(node.attribute ?? []), intAttribute("axis", 1)];
    } else if (op === "Pad") {
      const paddings = attr("paddings");
      if (paddings) {
        drop("paddings");
        node.attribute = [...(node.attribute ?? []), intsAttribute("pads", attributeValue(paddings) as number[])];
      }
    } else if (op === "Split") {
      const split = node.input?.[1];
      if (split) {
        const tensor = constants.get(split);
        if (!tensor) throw fail(`${label} takes its split sizes as a computed input, which opset 7 cannot express; convert the model with onnx.version_converter`);
        node.input = [node.input![0]!];
        drop("split");
        node.attribute = [...(node.attribute ?? []), intsAttribute("split", tensorToNumbers(tensor))];
      }
    } else if (op === "Upsample") {
      const h = attr("height_scale");
      const w = attr("width_scale");
      if (h || w) {
        drop("height_scale", "width_scale");
        node.attribute = [...(node.attribute ?? []), floatsAttribute("scales", [1, 1, h?.f ?? 1, w?.f ?? 1])];
      }
    } else if (op === "Tile" && (node.input ?? []).length === 3) {
      // Opset 1's Tile repeats one axis (`tiles` times along `axis`); opset 6 takes a repeat count per axis.
      const [x, tiles, axis] = node.input!;
      const rankX = ranks.get(x!);
      const count = constants.get(tiles!);
      const along = constants.get(axis!);
      if (rankX === undefined || !count || !along) {
        throw fail(`${label} takes tiles and axis as computed inputs (opset 1's form), which opset 7 cannot express; convert the model with onnx.version_converter`);
      }
      const repeats = Array<number>(rankX).fill(1);
      const at = tensorToNumbers(along)[0]!;
      repeats[at < 0 ? at + rankX : at] = tensorToNumbers(count)[0]!;
      node.input = [x!, addInitializer(`${node.output?.[0] ?? "tile"}_repeats`, repeats)];
    }

    for (const a of node.attribute ?? []) {
      for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) upgradeGraph(g, ranks, fresh, fail);
    }
  }

  /** `value` (of rank `rank`) with `trailing` dimensions of size 1 appended: a reshaped initializer, or an Unsqueeze. */
  function alignedAt(value: string, rank: number, trailing: number): string {
    const tensor = constants.get(value);
    if (tensor && (graph.initializer ?? []).includes(tensor)) {
      return reshaped(value, [...(tensor.dims ?? []).map(toNumber), ...Array(trailing).fill(1)]);
    }
    const output = fresh(`${value}_aligned`);
    const unsqueeze = new onnx.NodeProto({
      opType: "Unsqueeze", name: output, input: [value], output: [output],
      attribute: [intsAttribute("axes", Array.from({ length: trailing }, (_, i) => rank + i))],
    });
    pending.push(unsqueeze);
    return output;
  }
  if (pending.length) insertBeforeUsers(graph, pending);
}

function insertBeforeUsers(graph: onnx.IGraphProto, added: onnx.NodeProto[]): void {
  const nodes: onnx.INodeProto[] = [];
  const waiting = new Map(added.map((n) => [n.output[0]!, n]));
  for (const node of graph.node ?? []) {
    for (const input of node.input ?? []) {
      const before = waiting.get(input);
      if (before) { nodes.push(before); waiting.delete(input); }
    }
    nodes.push(node);
  }
  graph.node = nodes;
}
