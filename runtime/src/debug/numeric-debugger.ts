import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { cloneModel } from "../model-clone.js";
import { createSession, type SessionOptions } from "../session/create-session.js";
import type { Sample } from "../data/source.js";
import { annotationOf } from "../quantizer/annotation.js";
import type { SourceLocation } from "../source-location.js";

/** How far one node's output in the quantized model is from the float model's (torch's NodeAccuracySummary). */
export interface NodeAccuracy {
  node: string;
  opType: string;
  /** The innermost module path, as recovered from the exporter's names. */
  module: string | undefined;
  /** 10·log10(Σx² / Σ(x − y)²); Infinity when the outputs are equal. */
  sqnr: number;
  mse: number;
  elements: number;
  /** The quantizer line that annotated the node, when the quantizer is known. */
  site: SourceLocation | undefined;
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
  copy.graph.outputs = [...new Set([...copy.graph.outputs, ...values.map((v) => copy.graph.producerOf(v.valueName)!)])];
  copy.graph.outputNode.meta.outputValueInfos = [];
  copy.graph.lint();
  return copy;
}

/**
 * Run the float and the quantized model side by side on the same inputs and measure, per node, how far the quantized
 * model's value is from the float one: SQNR and MSE, worst first. `annotated` (the prepared model) supplies the
 * quantizer lines.
 */
export async function compareNodes(
  float: Model,
  quantized: Model,
  data: AsyncIterable<Sample> | Iterable<Sample>,
  options: { annotated?: Model; session?: SessionOptions } = {},
): Promise<NodeAccuracy[]> {
  const pairs = matchNodes(float, quantized);
  const floatSession = await createSession(withOutputs(float, pairs.map((p) => p.float)), options.session);
  const quantizedSession = await createSession(withOutputs(quantized, pairs.map((p) => p.quantized)), options.session);
  const signal = new Float64Array(pairs.length);
  const noise = new Float64Array(pairs.length);
  const count = new Float64Array(pairs.length);
  try {
    for await (const batch of data) {
      const a = await floatSession.run(batch);
      const b = await quantizedSession.run(batch);
      pairs.forEach((p, i) => {
        const x = a[p.float.valueName]!.data as Float32Array;
        const y = b[p.quantized.valueName]!.data as Float32Array;
        let s = 0;
        let n = 0;
        for (let k = 0; k < x.length; k++) {
          const d = x[k]! - y[k]!;
          s += x[k]! * x[k]!;
          n += d * d;
        }
        signal[i] += s;
        noise[i] += n;
        count[i] += x.length;
      });
    }
  } finally {
    await floatSession.release();
    await quantizedSession.release();
  }
  const results = pairs.map((p, i): NodeAccuracy => ({
    node: p.name,
    opType: p.float.opType,
    module: p.float.meta.moduleStack?.at(-1)?.path,
    sqnr: noise[i] === 0 ? Infinity : 10 * Math.log10(signal[i]! / noise[i]!),
    mse: count[i] ? noise[i]! / count[i]! : 0,
    elements: count[i]!,
    site: options.annotated ? annotationOf(options.annotated.graph.node(p.name) ?? p.float)?.site : undefined,
  }));
  return results.sort((x, y) => x.sqnr - y.sqnr);
}
