// Split has one output per part, each quantized by its own QuantizeLinear: it lowers to Split on the integers, each
// part requantized by a QLut where its parameters differ from the input's.
import type { Node, NodeArg } from "../graph/node.js";
import { stringAttribute } from "../onnx/attributes.js";
import { tensorToNumbers } from "../onnx/tensor-data.js";
import { QKIT_DOMAIN, qkitArgs } from "../qkit-ops/schema.js";
import { BYTE_DTYPES, failed, hasShapeReaders, moveShapeReaders, quantizedInput, quantizedOutput, replaceQuantizedOutput, type Match, type QuantizedInput, type QuantizedOutput } from "./match.js";

function same(x: QuantizedInput, out: QuantizedOutput): boolean {
  const v = (n: Node | null) => (n ? tensorToNumbers(n.tensor!)[0] : 0);
  return v(x.scale) === v(out.scale) && v(x.zp) === v(out.zp) && x.value.meta.dtype === out.quantize.meta.dtype;
}

/** The lowering of a Split node (run it to rewrite the graph; it returns what the report says), or why it stays float. */
export function splitLowering(node: Node): Match<() => string> {
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return x;
  const graph = node.graph;
  const items = graph.getitems(node);
  const outs: (QuantizedOutput | undefined)[] = [];
  for (const [i, item] of items.entries()) {
    if (!item) {
      outs.push(undefined);
      continue;
    }
    const out = quantizedOutput(item, false);
    if (failed(out)) return `part ${i}: ${out}`;
    if (!BYTE_DTYPES.has(x.value.meta.dtype ?? "") || !BYTE_DTYPES.has(out.quantize.meta.dtype ?? "")) {
      return `Split lowers on uint8/int8 only (this one is ${x.value.meta.dtype} → ${out.quantize.meta.dtype}); use a byte dtype in its specs`;
    }
    outs.push(out);
  }
  return () => {
    const created = graph.addCall("Split", [x.value, ...node.args.slice(1)], {
      attributes: [...node.attributes.values()], name: graph.uniqueName(`${node.name}__lowered`),
      outputNames: node.outputNames.map((n, i) => (items[i] ? graph.uniqueTensorName(`${n}_integers`) : "")),
    }, { before: node });
    const parts = graph.getitems(created);
    let requantized = 0;
    items.forEach((item, i) => {
      const out = outs[i];
      if (!item || !out) return;
      const part = parts[i]!;
      part.meta.dtype = x.value.meta.dtype;
      part.meta.shape = item.meta.shape;
      let result = part;
      if (!same(x, out)) {
        requantized++;
        result = graph.addCall("QLut", qkitArgs<"QLut", NodeArg>("QLut", { x: part, xScale: x.scale, xZeroPoint: x.zp, yScale: out.scale, yZeroPoint: out.zp }, null),
          { domain: QKIT_DOMAIN, attributes: [stringAttribute("op", "Identity")], name: graph.uniqueName(`${node.name}__requant${i}`) },
          hasShapeReaders(item) ? { before: node } : { before: out.quantize });
        result.meta.dtype = out.quantize.meta.dtype;
        result.meta.shape = out.quantize.meta.shape;
      }
      const tensor = out.quantize.valueName;
      replaceQuantizedOutput(out, result);
      moveShapeReaders(item, result);
      if (result !== part) graph.setOutputNames(result, [tensor]);
    });
    for (const item of items) if (item && item.users.size === 0) graph.eraseNode(item);
    if (node.users.size === 0) graph.eraseNode(node);
    graph.rename(created, node.name);
    return `Split on ${x.value.meta.dtype}${requantized ? " + com.qkit.QLut" : ""}`;
  };
}
