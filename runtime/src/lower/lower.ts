import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { cloneModel } from "../model-clone.js";
import { valuesReadByName } from "../graph/subgraph-scope.js";
import { stringAttribute } from "../onnx/attributes.js";
import { isQdqOp } from "../onnx/qdq-ops.js";
import { QKIT_DOMAIN, qkitArgs } from "../qkit-ops/schema.js";
import { ACTIVATION_DTYPES, failed, hasShapeReaders, moveShapeReaders, replaceQuantizedOutput } from "./match.js";
import { RULES, type Lowering } from "./rules.js";
import { lowerChains } from "./chains.js";
import { floatReason } from "./reasons.js";
import { splitLowering } from "./split.js";
import { patchifyLowering } from "./patchify.js";
import { composeLuts } from "./compose-luts.js";
import { foldConvClamps } from "./fold-conv-clamps.js";
import { foldSelfProducts } from "./fold-self-products.js";

/** What happened to one operator of the Q/DQ model. */
export interface LoweredNode {
  name: string;
  opType: string;
  /** The integer operator that replaced it (e.g. "com.qkit.QConv"), or where it was fused. */
  loweredAs?: string;
  /** Why it stays in float32 between DequantizeLinear and QuantizeLinear. */
  reason?: string;
}

export interface LoweringReport {
  nodes: LoweredNode[];
  lowered: number;
  float: number;
}

/** Whether a model holds DequantizeLinear nodes and is not lowered yet (a Q/DQ reference model lowering applies to). */
export function isQdqModel(model: Model): boolean {
  const calls = model.graph.calls();
  return calls.some((n) => n.opType === "DequantizeLinear") && !calls.some((n) => n.domain === QKIT_DOMAIN);
}

/**
 * Replace the Q/DQ islands of a quantized model (DequantizeLinear → op [→ Relu/Clip] → QuantizeLinear) with integer
 * operators in the com.qkit domain, which the qkit engine runs on integer kernels. Whatever cannot lower stays as it
 * was (float32 between its DequantizeLinear and QuantizeLinear); the report says what lowered and why the rest did not.
 */
export function lowerWithReport(model: Model): { model: Model; report: LoweringReport } {
  const out = cloneModel(model);
  const graph = out.graph;
  // Values that subgraphs read by name stay as they are, as outputs do: lowering treats them as outputs meanwhile.
  const declaredOutputs = graph.outputs.length;
  const readByName = valuesReadByName(graph).filter((v) => !graph.outputs.includes(v));
  if (readByName.length > 0) graph.outputs = [...graph.outputs, ...readByName];
  for (const value of readByName) value.meta.readByName = true;
  const nodes: LoweredNode[] = [];
  const fusedInto = new Map<Node, string>();
  const opset = out.opset() ?? 17;
  const chains = lowerChains(out);
  // Nodes of a chain that stays float say so: the chain's reason, not each node's own.
  const chainFailure = new Map<Node, string>();
  for (const [root, chain] of chains) {
    if (chain.failure) {
      for (const n of [...chain.inner, root]) chainFailure.set(n, `it is part of a ${chain.name} that stays float32 because ${chain.failure}`);
      continue;
    }
    for (const n of chain.inner) {
      fusedInto.set(n, root.name);
      nodes.push({ name: n.name, opType: n.opType, loweredAs: `fused into ${root.name} (the ${chain.name} table)` });
    }
  }
  for (const node of graph.calls()) {
    if (!graph.has(node)) continue;
    if (isQdqOp(node.domain, node.opType)) continue;
    if (fusedInto.has(node)) continue;
    const entry: LoweredNode = { name: node.name, opType: node.opType };
    nodes.push(entry);
    if (node.opType === "Split" && (node.domain === "" || node.domain === "ai.onnx")) {
      const split = splitLowering(node);
      if (failed(split)) entry.reason = floatReason(node, split);
      else entry.loweredAs = split();
      continue;
    }
    const patches = node.opType === "Conv" && (node.domain === "" || node.domain === "ai.onnx") ? patchifyLowering(node) : undefined;
    if (patches) {
      entry.loweredAs = patches();
      continue;
    }
    const chain = chains.get(node);
    const table = chain && !chain.failure ? chain : undefined;
    const rule = node.domain === "" || node.domain === "ai.onnx" ? RULES[node.opType] : undefined;
    if (!rule && !table) {
      entry.reason = chainFailure.get(node) ?? floatReason(node);
      continue;
    }
    const match = table ? table.lowering() : rule!(node, opset);
    if (failed(match)) {
      entry.reason = chainFailure.get(node) ?? floatReason(node, match);
      continue;
    }
    if (match.absorbed) {
      nodes.push({ name: match.absorbed.name, opType: match.absorbed.opType, loweredAs: `fused into ${node.name} (bias)` });
      fusedInto.set(match.absorbed, node.name);
    }
    if (match.out?.activation) {
      nodes.push({ name: match.out.activation.name, opType: match.out.activation.opType, loweredAs: `fused into ${node.name} (output clamp)` });
      fusedInto.set(match.out.activation, node.name);
    }
    entry.loweredAs = replace(node, match);
  }
  shapesFromIntegers(graph);
  removeDead(graph);
  // Only once the float nodes lowering replaced are gone do a QConv's codes (foldConvClamps), a gate
  // (foldSelfProducts) and a requantization (composeLuts) have the one reader folding needs.
  const clamps = foldConvClamps(graph);
  for (const entry of nodes) {
    const conv = clamps.get(entry.name);
    if (conv) entry.loweredAs = `fused into ${conv} (a second quantization in its store)`;
  }
  const products = foldSelfProducts(graph);
  for (const entry of nodes) {
    const table = products.get(entry.name);
    if (table) entry.loweredAs = `fused into ${table} (x times its gate, one table)`;
  }
  const folded = new Set(composeLuts(graph));
  for (const entry of nodes) {
    if (entry.loweredAs?.endsWith(" + com.qkit.QLut") && folded.has(`${entry.name}__requant`)) {
      entry.loweredAs = `${entry.loweredAs.slice(0, -" + com.qkit.QLut".length)} (its requantization folded into the next table)`;
    }
  }
  removeDead(graph);
  if (readByName.length > 0) graph.outputs = graph.outputs.slice(0, declaredOutputs);
  out.importDomainIfUsed(QKIT_DOMAIN, 1);
  graph.lint();
  const lowered = nodes.filter((n) => n.loweredAs).length;
  return { model: out, report: { nodes, lowered, float: nodes.length - lowered } };
}

/** lowerWithReport without the report. */
export function lower(model: Model): Model {
  return lowerWithReport(model).model;
}

/** Put the integer operator where the QuantizeLinear was: it produces the same tensor, under the same name. */
function replace(node: Node, l: Lowering): string {
  const graph = node.graph;
  if (!l.out) return replaceFloat(node, l);
  const q = l.out.quantize;
  // Shape readers of the float value may come before its QuantizeLinear; they move onto the integer value, which is
  // then placed where the float op was (its arguments all come before it).
  const at = hasShapeReaders(node, l.out.activation, l.absorbed) ? { before: node } : { before: q };
  const created = graph.addCall(l.opType, l.args, { domain: l.domain, attributes: l.attributes, name: graph.uniqueName(`${node.name}__lowered`) }, at);
  let result = created;
  if (l.requantFrom) {
    created.meta.dtype = l.requantFrom.value.meta.dtype;
    created.meta.shape = node.meta.shape;
    const x = l.requantFrom;
    result = graph.addCall("QLut", qkitArgs("QLut", { x: created, xScale: x.scale, xZeroPoint: x.zp, yScale: l.out.scale, yZeroPoint: l.out.zp }, null),
      { domain: QKIT_DOMAIN, attributes: [stringAttribute("op", "Identity")], name: graph.uniqueName(`${node.name}__requant`) }, at);
  }
  result.meta.dtype = q.meta.dtype;
  result.meta.shape = q.meta.shape;
  const tensor = q.valueName;
  const name = node.name;
  replaceQuantizedOutput(l.out, result);
  moveShapeReaders(node, result);
  if (l.out.activation) moveShapeReaders(l.out.activation, result);
  if (l.absorbed) moveShapeReaders(l.absorbed, result);
  if (l.out.activation) graph.eraseNode(l.out.activation);
  if (l.absorbed) graph.eraseNode(l.absorbed);
  graph.eraseNode(node);
  graph.setOutputNames(result, [tensor]);
  graph.rename(created, name);
  return l.domain ? `${l.domain}.${l.opType}` : `${l.opType} on ${created.meta.dtype ?? "integers"}${l.requantFrom ? " + com.qkit.QLut" : ""}`;
}

/** Put an integer operator with a float32 output where the float op was: the same value, under the same name. */
function replaceFloat(node: Node, l: Lowering): string {
  const graph = node.graph;
  const created = graph.addCall(l.opType, l.args, { domain: l.domain, attributes: l.attributes, name: graph.uniqueName(`${node.name}__lowered`) }, { before: node });
  created.meta.dtype = node.meta.dtype;
  created.meta.shape = node.meta.shape;
  const tensor = node.valueName;
  const name = node.name;
  const isOutput = graph.outputs.includes(node);
  node.replaceAllUsesWith(created);
  if (isOutput) graph.outputs = graph.outputs.map((o) => (o === node ? created : o));
  graph.eraseNode(node);
  graph.setOutputNames(created, [tensor]);
  graph.rename(created, name);
  return `${l.domain}.${l.opType} (float32 output)`;
}

/**
 * A Shape reading a DequantizeLinear's output reads its integer input instead (the same shape): exporters take the
 * shapes of attention's inputs this way, and the dequantization would otherwise run for nothing but the shape.
 */
function shapesFromIntegers(graph: Model["graph"]): void {
  for (const dq of graph.calls("DequantizeLinear")) {
    const x = dq.args[0];
    if (isQdqOp(dq.domain, dq.opType) && x && x.kind !== "parameter" && ACTIVATION_DTYPES.has(x.meta.dtype ?? "")) moveShapeReaders(dq, x);
  }
}

/** Drop DequantizeLinear nodes and parameters nothing reads any more. */
function removeDead(graph: Model["graph"]): void {
  const outputs = new Set(graph.outputs);
  for (let changed = true; changed;) {
    changed = false;
    for (const node of [...graph.nodes].reverse()) {
      if ((node.kind === "call" || node.kind === "parameter") && node.users.size === 0 && !outputs.has(node) && !node.isMultiOutput) {
        graph.eraseNode(node);
        changed = true;
      }
    }
  }
}
