import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import type { Graph, InsertionPoint } from "../graph/graph.js";
import { QkitError, errorMessage, type QkitErrorOptions } from "../errors.js";
import { cloneModel } from "../model-clone.js";
import { shieldReshapedLinears } from "./ort-reshaped-linear.js";
import { MICROSOFT_DOMAIN } from "../onnx/qdq-ops.js";
import { inferShapes } from "../graph/shape-inference/infer.js";
import { intAttribute } from "../onnx/attributes.js";
import { makeTensor, tensorDims, tensorToFloat32 } from "../onnx/tensor-data.js";
import { SUPPORTED_OPSET } from "../onnx/load.js";
import { isPerChannel, type QParams, type QuantDType } from "../quant-types.js";
import { quantizeValues } from "../observers/quantize.js";
import { slotKey, describeSlot } from "../quantizer/edge-or-node.js";
import type { RangedSpec } from "../quantizer/specs.js";
import { formatLocation } from "../source-location.js";
import type { Observer } from "../observers/observer.js";
import type { DerivedSlot, ObserverGroup, PreparedModel } from "./prepare.js";
import { foldDynamicLinears } from "./dynamic-integer.js";

/** convert could not compute qparams or build the quantized graph; the message names the spec's line, `location` holds it. */
export class ConvertError extends QkitError {
  constructor(message: string, options?: QkitErrorOptions) {
    super("convert-failed", message, options);
  }
}

/**
 * What one slot quantizes to: its qparams and the spec fields the Q/DQ nodes need; a dynamic slot has no qparams
 * (they are computed per batch at run time).
 */
interface Quantization {
  id: string;
  qparams: QParams;
  spec: RangedSpec;
  dynamic?: boolean;
}

const ARRAY_FOR: Record<QuantDType, (values: Int32Array) => Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array> = {
  int8: (v) => Int8Array.from(v),
  uint8: (v) => Uint8Array.from(v),
  int16: (v) => Int16Array.from(v),
  uint16: (v) => Uint16Array.from(v),
  int32: (v) => Int32Array.from(v),
};

function groupQparams(group: ObserverGroup): QParams {
  const where = `${describeSlot(group.slots[0]!.edgeOrNode)} (spec at ${formatLocation(group.spec.site)})`;
  try {
    const q = group.observer.calculateQparams();
    if (group.spec.kind !== "fixed" && group.spec.qscheme && isPerChannel(group.spec.qscheme)) q.axis = group.spec.chAxis ?? 0;
    return q;
  } catch (error) {
    throw new ConvertError(`cannot compute qparams for the ${where}: ${errorMessage(error)}`, { cause: error, location: group.spec.site });
  }
}

function toArray(x: Float32Array | Int32Array | number[] | number): number[] {
  return typeof x === "number" ? [x] : Array.from(x);
}

function derivedQparams(d: DerivedSlot, observers: (Observer | undefined)[]): QParams {
  const where = `the DerivedQuantizationSpec for the ${describeSlot(d.slot.edgeOrNode)} (at ${formatLocation(d.spec.site)})`;
  const missing = observers.findIndex((o) => !o);
  const location = d.spec.site;
  if (missing >= 0) throw new ConvertError(`${where}: derivedFrom[${missing}] has no observer`, { location });
  let result;
  try {
    result = d.spec.deriveFunction(observers as Observer[]);
  } catch (error) {
    throw new ConvertError(`${where}: deriveQparams threw: ${errorMessage(error)}`, { cause: error, location });
  }
  const scale = toArray(result?.scale as never);
  const zeroPoint = toArray(result?.zeroPoint as never);
  if (scale.length === 0 || scale.some((s) => !Number.isFinite(s) || s <= 0)) {
    throw new ConvertError(`${where}: deriveQparams returned scale [${scale.slice(0, 4).join(", ")}]; every scale must be a finite number above 0`, { location });
  }
  const zp = zeroPoint.length === 1 && scale.length > 1 ? scale.map(() => zeroPoint[0]!) : zeroPoint;
  if (zp.length !== scale.length) throw new ConvertError(`${where}: deriveQparams returned ${scale.length} scales but ${zp.length} zero points`, { location });
  const q: QParams = { scale: Float32Array.from(scale), zeroPoint: Int32Array.from(zp.map(Math.round)) };
  if (scale.length > 1 || (d.spec.qscheme && isPerChannel(d.spec.qscheme))) q.axis = d.spec.chAxis ?? 0;
  return q;
}

/**
 * The domain of a Q/DQ op: 8-bit types (and DequantizeLinear of int32, for biases) are in ai.onnx from opset 10, and
 * per axis (`axis`) from opset 13; 16-bit types entered it in opset 21. Before that ONNX Runtime has them in
 * com.microsoft, with the same inputs and `axis`: the model keeps its opset, so none of its other ops changes meaning.
 * (A model before opset 10 never gets here: prepare refuses it, checker/rules/opset-rules.ts.)
 */
function qdqDomain(op: "QuantizeLinear" | "DequantizeLinear", q: Quantization, opset: number): string {
  const dtype = q.spec.dtype;
  const bytes = dtype === "int8" || dtype === "uint8" || (op === "DequantizeLinear" && dtype === "int32");
  const perAxis = q.qparams.scale.length > 1 || q.qparams.axis !== undefined;
  return opset >= 21 || (bytes && opset >= (perAxis ? 13 : 10)) ? "" : MICROSOFT_DOMAIN;
}

/**
 * Turn a calibrated PreparedModel into the reference representation: every quantized tensor goes through
 * QuantizeLinear → DequantizeLinear with the computed qparams; weights are stored quantized with only a
 * DequantizeLinear; derived specs (int32 bias, s_act · s_w) are evaluated; fixed qparams are applied as given.
 * The result runs on any ONNX runtime; node names of the float model are kept for provenance.
 */
export function convert(prepared: PreparedModel): Model {
  const out = cloneModel(prepared.model);
  const graph = out.graph;
  const opset = out.opset() ?? SUPPORTED_OPSET.max;

  const quantizationOf = new Map<string, Quantization>();
  for (const group of prepared.groups) {
    const dynamic = group.spec.isDynamic;
    if (dynamic) checkDynamicSpec(group);
    const q: Quantization = dynamic
      ? { id: `g${group.id}`, qparams: { scale: new Float32Array(1), zeroPoint: new Int32Array(1) }, spec: group.spec, dynamic }
      : { id: `g${group.id}`, qparams: groupQparams(group), spec: group.spec };
    for (const slot of group.slots) quantizationOf.set(slot.key, q);
  }
  prepared.derived.forEach((d, i) => {
    const observers = d.spec.derivedFrom.map((source) => prepared.groupOfSlot.get(slotKey(source))?.observer);
    quantizationOf.set(d.slot.key, { id: `d${i}`, qparams: derivedQparams(d, observers), spec: d.spec });
  });

  const builder = new QdqBuilder(graph, opset);
  for (const producer of prepared.model.graph.nodes) {
    if (producer.kind === "output") continue;
    const own = quantizationOf.get(slotKey(producer));
    const edges = [...producer.users].filter((u) => u.kind !== "output").map((u) => ({ user: u, q: quantizationOf.get(slotKey([producer, u])) }));
    if (!own && edges.every((e) => !e.q)) continue;
    const source = graph.node(producer.name)!;
    if (producer.kind === "parameter") builder.quantizeParameter(source, own, edges.map((e) => ({ user: graph.node(e.user.name)!, q: e.q })));
    else builder.quantizeActivation(source, own, edges.map((e) => ({ user: graph.node(e.user.name)!, q: e.q })));
  }
  inferShapes(graph, opset);
  if (foldDynamicLinears(graph) > 0) inferShapes(graph, opset);
  shieldReshapedLinears(graph, opset);
  // ONNX Runtime's com.microsoft Q/DQ (see qdqDomain, shieldReshapedLinears) need their domain imported, as every
  // domain a node uses.
  out.importDomainIfUsed(MICROSOFT_DOMAIN, 1);
  graph.lint();
  return out;
}

/**
 * A dynamic spec becomes ONNX's DynamicQuantizeLinear, which computes uint8 per-tensor affine qparams over 256 levels
 * from each batch's range (zero included). An 8-bit affine spec over its dtype's whole range is that same grid (int8's
 * zero point is uint8's minus 128); anything else has no standard operator.
 */
function checkDynamicSpec(group: ObserverGroup): void {
  const spec = group.spec;
  const levels = (spec.quantMax ?? 255) - (spec.quantMin ?? 0) + 1;
  const full = spec.dtype === "uint8" ? spec.quantMin === undefined || spec.quantMin === 0 : spec.dtype === "int8" && (spec.quantMin ?? -128) === -128;
  if (spec.kind === "observed" && (spec.dtype === "int8" || spec.dtype === "uint8") && (spec.qscheme ?? "per_tensor_affine") === "per_tensor_affine" && full && levels === 256) return;
  throw new ConvertError(
    `the dynamic spec of the ${describeSlot(group.slots[0]!.edgeOrNode)} (at ${formatLocation(spec.site)}) is ${spec.dtype} ${spec.qscheme ?? "per_tensor_affine"} [${spec.quantMin}, ${spec.quantMax}]; dynamic quantization exports as DynamicQuantizeLinear, which is 8-bit per-tensor affine over the dtype's full range: use dtype int8 or uint8, qscheme per_tensor_affine and the full range`,
    { location: spec.site },
  );
}

class QdqBuilder {
  constructor(private readonly graph: Graph, private readonly opset: number) {}

  #constants(base: string, q: Quantization): [Node, Node] {
    const { scale, zeroPoint } = q.qparams;
    const perChannel = scale.length > 1 || q.qparams.axis !== undefined;
    const dims = perChannel ? [scale.length] : [];
    const scaleNode = this.graph.addParameter(this.graph.uniqueTensorName(`${base}_scale`), makeTensor("", "float32", dims, Float32Array.from(scale)));
    scaleNode.tensor!.name = scaleNode.valueName;
    const zpNode = this.graph.addParameter(this.graph.uniqueTensorName(`${base}_zero_point`), makeTensor("", q.spec.dtype, dims, ARRAY_FOR[q.spec.dtype](zeroPoint)));
    zpNode.tensor!.name = zpNode.valueName;
    return [scaleNode, zpNode];
  }

  /** Just after a value's producer; for graph inputs and parameters, after all of those (they lead the graph). */
  #rightAfter(source: Node): InsertionPoint {
    if (source.kind !== "placeholder" && source.kind !== "parameter") return { after: source };
    return { before: this.graph.nodes.find((n) => n.kind !== "placeholder" && n.kind !== "parameter")! };
  }

  #attributes(q: Quantization) {
    return q.qparams.scale.length > 1 || q.qparams.axis !== undefined ? [intAttribute("axis", q.qparams.axis ?? 0)] : [];
  }

  /** source → DynamicQuantizeLinear → DequantizeLinear with the batch's qparams; returns the DequantizeLinear. */
  #dynamicQdq(source: Node): Node {
    const base = source.valueName;
    const quantize = this.graph.addCall("DynamicQuantizeLinear", [source], {
      name: `${source.name}_DynamicQuantizeLinear`,
      outputNames: [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`].map((n) => this.graph.uniqueTensorName(n)),
    }, this.#rightAfter(source));
    const [values, scale, zeroPoint] = this.graph.getitems(quantize);
    const dequantize = this.graph.addCall("DequantizeLinear", [values!, scale!, zeroPoint!], {
      name: `${source.name}_DequantizeLinear`, outputNames: [this.graph.uniqueTensorName(`${base}_dequantized`)],
    }, { after: zeroPoint! });
    values!.meta.dtype = "uint8";
    values!.meta.shape = source.meta.shape;
    dequantize.meta.dtype = "float32";
    dequantize.meta.shape = source.meta.shape;
    dequantize.meta.quantizes = source.valueName;
    return dequantize;
  }

  /** source → QuantizeLinear → DequantizeLinear, placed right after source; returns the DequantizeLinear. */
  #qdq(source: Node, q: Quantization): Node {
    if (q.dynamic) return this.#dynamicQdq(source);
    const [scale, zp] = this.#constants(source.valueName, q);
    const quantize = this.graph.addCall("QuantizeLinear", [source, scale, zp], {
      name: `${source.name}_QuantizeLinear`, domain: qdqDomain("QuantizeLinear", q, this.opset), attributes: this.#attributes(q),
      outputNames: [this.graph.uniqueTensorName(`${source.valueName}_quantized`)],
    }, this.#rightAfter(source));
    const dequantize = this.graph.addCall("DequantizeLinear", [quantize, scale, zp], {
      name: `${source.name}_DequantizeLinear`, domain: qdqDomain("DequantizeLinear", q, this.opset), attributes: this.#attributes(q),
      outputNames: [this.graph.uniqueTensorName(`${source.valueName}_dequantized`)],
    }, { after: quantize });
    quantize.meta.dtype = q.spec.dtype;
    quantize.meta.shape = source.meta.shape;
    dequantize.meta.dtype = "float32";
    dequantize.meta.shape = source.meta.shape;
    dequantize.meta.quantizes = source.valueName;
    return dequantize;
  }

  /**
   * An activation: its own spec quantizes it for every user; an edge spec in another group adds a requantization
   * (the dq → q pair PT2E also inserts). A quantized graph output keeps its name, now on the DequantizeLinear.
   */
  quantizeActivation(source: Node, own: Quantization | undefined, edges: { user: Node; q: Quantization | undefined }[]): void {
    const outputs = this.graph.outputs;
    const isOutput = outputs.includes(source);
    const dqOwn = own ? this.#qdq(source, own) : undefined;
    const perEdge = new Map<string, Node>();
    for (const { user, q } of edges) {
      let input = dqOwn;
      if (q && q.id !== own?.id) {
        input = perEdge.get(q.id) ?? this.#qdq(dqOwn ?? source, q);
        perEdge.set(q.id, input);
      }
      if (input) user.replaceInput(source, input);
    }
    if (dqOwn && isOutput) {
      this.graph.outputs = outputs.map((o) => (o === source ? dqOwn : o));
      const name = source.valueName;
      this.graph.setOutputNames(source, [this.graph.uniqueTensorName(`${name}_float`)]);
      this.graph.setOutputNames(dqOwn, [name]);
    }
  }

  /** A parameter is quantized once per qparams and stored as integers, read through a DequantizeLinear. */
  quantizeParameter(param: Node, own: Quantization | undefined, edges: { user: Node; q: Quantization | undefined }[]): void {
    const made = new Map<string, Node>();
    const values = tensorToFloat32(param.tensor!);
    const dims = tensorDims(param.tensor!);
    for (const { user, q: edgeQ } of edges) {
      const q = edgeQ ?? own;
      if (!q) continue;
      let dq = made.get(q.id);
      if (!dq) {
        const ints = quantizeValues(values, q.qparams, { dtype: q.spec.dtype, quantMin: q.spec.quantMin, quantMax: q.spec.quantMax, dims });
        const quantized = this.graph.addParameter(this.graph.uniqueTensorName(`${param.valueName}_quantized`), makeTensor("", q.spec.dtype, dims, ARRAY_FOR[q.spec.dtype](ints)));
        quantized.tensor!.name = quantized.valueName;
        const [scale, zp] = this.#constants(param.valueName, q);
        dq = this.graph.addCall("DequantizeLinear", [quantized, scale, zp], {
          name: `${param.name}_DequantizeLinear`, domain: qdqDomain("DequantizeLinear", q, this.opset), attributes: this.#attributes(q),
          outputNames: [this.graph.uniqueTensorName(`${param.valueName}_dequantized`)],
        }, { before: firstUser(this.graph, edges.map((e) => e.user)) });
        dq.meta.quantizes = param.valueName;
        made.set(q.id, dq);
      }
      user.replaceInput(param, dq);
    }
    if (param.users.size === 0 && !this.graph.outputs.includes(param)) this.graph.eraseNode(param);
  }
}

function firstUser(graph: Graph, users: Node[]): Node {
  return users.reduce((a, b) => (graph.indexOf(a) <= graph.indexOf(b) ? a : b));
}

