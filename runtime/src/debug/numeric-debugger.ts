import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { cloneModel, exposeValues } from "../model-clone.js";
import { createSession, type SessionOptions } from "../session/create-session.js";
import type { Sample } from "../data/source.js";
import { annotationOf } from "../quantizer/annotation.js";
import type { SourceLocation } from "../source-location.js";
import { Tensor } from "../engine/tensor.js";

/** How far one node's output in the quantized model is from the float model's (torch's NodeAccuracySummary). */
export interface NodeAccuracy {
  node: string;
  opType: string;
  /** The innermost module path, as recovered from the exporter's names. */
  module: string | undefined;
  /** End to end: 10·log10(Σx² / Σ(x − y)²) of the quantized model's value against the float model's; Infinity when equal. */
  sqnr: number;
  mse: number;
  elements: number;
  /**
   * What this node adds by itself: its quantized value against the float operator run on the same (dequantized)
   * inputs the quantized model gave it, with float weights — so an error made upstream does not count here. Undefined
   * where the inputs could not be matched.
   */
  local: { sqnr: number; mse: number; relativeMse: number } | undefined;
  /** The float value's range over the data (max − min): MSE relative to it ranks near-zero tensors fairly. */
  range: number;
  /** The quantizer line that annotated the node, when the quantizer is known. */
  site: SourceLocation | undefined;
  /** A built-in quantizer's rule that annotated it, where no user line did. */
  rule: string | undefined;
}

interface Pair {
  name: string;
  float: Node;
  /** The quantized model's value to compare: the node's dequantized output when it is quantized, else its output. */
  quantized: Node;
}

/** The value a quantized model computes for a float node: its output after the Q/DQ that follows it, if any. */
function quantizedValue(node: Node): Node {
  for (const user of node.users) {
    if (user.opType !== "QuantizeLinear") continue;
    for (const dq of user.users) if (dq.opType === "DequantizeLinear") return dq;
  }
  return node;
}

/** Nodes of the float model that also exist, by name, in the quantized one (convert keeps the names). */
function matchNodes(float: Model, quantized: Model): Pair[] {
  const pairs: Pair[] = [];
  for (const node of float.graph.calls()) {
    if (node.isMultiOutput || node.meta.dtype !== "float32") continue;
    const twin = quantized.graph.node(node.name);
    if (!twin || twin.kind !== "call" || twin.isMultiOutput) continue;
    pairs.push({ name: node.name, float: node, quantized: quantizedValue(twin) });
  }
  return pairs;
}

function withOutputs(model: Model, values: Node[]): Model {
  const copy = cloneModel(model);
  exposeValues(copy, values.map((v) => v.valueName));
  return copy;
}

/**
 * A batch one item at a time (views, no copies): every compared value stays alive in three sessions at once, so
 * memory follows one item, not the batch. Inputs without a shared first dimension pass as one sample.
 */
function* items(batch: Sample): Generator<Sample> {
  const tensors = Object.entries(batch);
  const n = tensors[0]?.[1].dims[0];
  if (n === undefined || n <= 1 || tensors.some(([, t]) => t.dims[0] !== n || Array.isArray(t.data))) {
    yield batch;
    return;
  }
  for (let k = 0; k < n; k++) {
    const item: Sample = {};
    for (const [name, t] of tensors) {
      const per = t.size / n;
      item[name] = new Tensor(t.type, (t.data as Float32Array).subarray(k * per, (k + 1) * per), [1, ...t.dims.slice(1)]);
    }
    yield item;
  }
}

/** Sums for one comparison: signal and noise energy, elements, and the reference's range. */
class ErrorStats {
  signal = 0;
  noise = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  add(x: Float32Array, y: Float32Array): void {
    let s = 0;
    let n = 0;
    let lo = this.min;
    let hi = this.max;
    for (let k = 0; k < x.length; k++) {
      const v = x[k]!;
      const d = v - y[k]!;
      s += v * v;
      n += d * d;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.signal += s;
    this.noise += n;
    this.count += x.length;
    this.min = lo;
    this.max = hi;
  }

  get sqnr(): number {
    return this.noise === 0 ? Infinity : 10 * Math.log10(this.signal / this.noise);
  }

  get mse(): number {
    return this.count ? this.noise / this.count : 0;
  }

  get range(): number {
    return this.max > this.min ? this.max - this.min : 0;
  }
}

/**
 * A copy of the float model in which each compared node reads, in place of its activation inputs, placeholders fed with
 * the quantized model's values of those inputs: its outputs are what the float operators make of quantized inputs.
 * Nodes whose inputs have no quantized counterpart keep their float inputs and get no local error.
 */
function localModel(float: Model, pairs: Pair[]): { model: Model; feeds: Map<string, string>; measured: Set<string> } {
  const copy = cloneModel(float);
  const quantizedOf = new Map(pairs.map((p) => [p.name, p.quantized.valueName]));
  const feeds = new Map<string, string>();
  const measured = new Set<string>();
  for (const pair of pairs) {
    const node = copy.graph.node(pair.name)!;
    const inputs = [...new Set(node.args.filter((a): a is Node => !!a && a.kind !== "parameter" && a.kind !== "placeholder"))];
    if (!inputs.every((a) => quantizedOf.has(a.name))) continue;
    for (const input of inputs) {
      const placeholder = copy.graph.addPlaceholder(copy.graph.uniqueTensorName(`${input.valueName}#into#${node.name}`));
      placeholder.meta.dtype = input.meta.dtype;
      if (input.meta.shape) placeholder.meta.shape = [...input.meta.shape];
      node.replaceInput(input, placeholder);
      feeds.set(placeholder.valueName, quantizedOf.get(input.name)!);
    }
    measured.add(pair.name);
  }
  exposeValues(copy, pairs.map((p) => p.float.valueName));
  return { model: copy, feeds, measured };
}

/**
 * Run the float and the quantized model side by side on the same inputs and measure, per node, how far the quantized
 * model's value is from the float one (end to end) and how much of that the node adds itself (local: the float
 * operator on the quantized model's inputs), worst local error first — the end-to-end SQNR falls with depth, the local
 * error points at the op to blame. Memory stays bounded: each batch is compared and dropped. `annotated` (the prepared
 * model) supplies the quantizer lines.
 */
export async function compareNodes(
  float: Model,
  quantized: Model,
  data: AsyncIterable<Sample> | Iterable<Sample>,
  options: { annotated?: Model; session?: SessionOptions } = {},
): Promise<NodeAccuracy[]> {
  const pairs = matchNodes(float, quantized);
  const local = localModel(float, pairs);
  const floatSession = await createSession(withOutputs(float, pairs.map((p) => p.float)), options.session);
  const quantizedSession = await createSession(withOutputs(quantized, pairs.map((p) => p.quantized)), options.session);
  const localSession = await createSession(local.model, options.session);
  const endToEnd = pairs.map(() => new ErrorStats());
  const own = pairs.map(() => new ErrorStats());
  try {
    for await (const batch of data) {
      for (const item of items(batch)) {
        const a = await floatSession.run(item);
        const b = await quantizedSession.run(item);
        const feeds: Record<string, Sample[string]> = { ...item };
        for (const [placeholder, value] of local.feeds) feeds[placeholder] = b[value]!;
        const c = await localSession.run(feeds);
        pairs.forEach((p, i) => {
          const y = b[p.quantized.valueName]!.data as Float32Array;
          endToEnd[i]!.add(a[p.float.valueName]!.data as Float32Array, y);
          if (local.measured.has(p.name)) own[i]!.add(c[p.float.valueName]!.data as Float32Array, y);
        });
      }
    }
  } finally {
    await floatSession.release();
    await quantizedSession.release();
    await localSession.release();
  }
  const results = pairs.map((p, i): NodeAccuracy => {
    const e = endToEnd[i]!;
    const l = own[i]!;
    const range = e.range;
    return {
      node: p.name,
      opType: p.float.opType,
      module: p.float.meta.moduleStack?.at(-1)?.path,
      sqnr: e.sqnr,
      mse: e.mse,
      elements: e.count,
      local: local.measured.has(p.name) ? { sqnr: l.sqnr, mse: l.mse, relativeMse: range > 0 ? l.mse / (range * range) : 0 } : undefined,
      range,
      site: options.annotated ? annotationOf(options.annotated.graph.node(p.name) ?? p.float)?.site : undefined,
      rule: options.annotated ? annotationOf(options.annotated.graph.node(p.name) ?? p.float)?.rule : undefined,
    };
  });
  // Worst local error first (relative to the tensor's range, so a near-zero tensor is not blamed for its tiny
  // signal); nodes without a local measure follow, by end-to-end SQNR.
  return results.sort((x, y) => (y.local?.relativeMse ?? -1) - (x.local?.relativeMse ?? -1) || x.sqnr - y.sqnr);
}
