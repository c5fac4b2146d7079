// Elementwise functions exporters write as several nodes (GELU as Div, Erf, Add, Mul, Mul; SiLU as x·Sigmoid(x);
// HardSwish as x·HardSigmoid(x) or x·Relu6(x + 3)/6): between one quantized input and a quantized output, the whole
// chain is one function of 256 codes, a QLut table.
import type { Model } from "../model.js";
import type { Node, NodeArg } from "../graph/node.js";
import type { ValueMeta } from "../engine/op.js";
import { findElementwiseChains } from "../engine/fusion-eltwise.js";
import { tensorDataType, tensorValues } from "../onnx/tensor-data.js";
import { floatAttribute, stringAttribute } from "../onnx/attributes.js";
import { QKIT_DOMAIN as QKIT, qkitArgs } from "../qkit-ops/schema.js";
import { failed, quantizedInput, quantizedOutput, BYTE_DTYPES, type Match } from "./match.js";
import type { Lowering } from "./rules.js";

/** The names the report and the table use for each fused function. */
const NAMES: Record<string, string> = { Silu: "SiLU", HardSwish: "HardSwish", Gelu: "GELU", GeluTanh: "GELU (tanh)" };

export interface ChainLowering {
  /** The QLut replacing the chain, made when the driver reaches its last node (earlier lowerings rewire its input). */
  lowering: () => Match<Lowering>;
  /** The chain's nodes other than its last, which the table replaces too. */
  inner: Node[];
  name: string;
  /** Why the chain cannot be a table (then each of its nodes keeps its own rule). */
  failure?: string;
}

/** Per chain's last node: its QLut lowering, or why it stays float (then its other nodes keep their own rules). */
export function lowerChains(model: Model): Map<Node, ChainLowering> {
  const graph = model.graph;
  const constants = new Map<Node, ValueMeta>();
  const constant = (n: Node): ValueMeta => {
    let meta = constants.get(n);
    if (!meta) {
      const t = n.tensor!;
      meta = { dtype: tensorDataType(t), dims: (t.dims ?? []).map(Number), value: tensorValues(t) };
      constants.set(n, meta);
    }
    return meta;
  };
  const chains = findElementwiseChains(graph, model.opset() ?? 17, constant);
  const inner = new Map<Node, Node[]>();
  for (const [node, chain] of chains) {
    if (chain === "skip") continue;
    inner.set(node, []);
  }
  // Inner nodes belong to the root that reads them, directly or through other inner nodes.
  for (const [node, chain] of chains) {
    if (chain !== "skip") continue;
    let root: Node | undefined = node;
    while (root && chains.get(root) === "skip") root = [...root.users][0];
    if (root) inner.get(root)?.push(node);
  }
  const result = new Map<Node, ChainLowering>();
  for (const [root, chain] of chains) {
    if (chain === "skip") continue;
    const name = NAMES[chain.fused.op] ?? chain.fused.op;
    const lowering = (): Match<Lowering> => {
      const x = quantizedInput(chain.args[0] as Node, `the input of the ${name}`);
      if (failed(x)) return x;
      const out = quantizedOutput(root, false);
      if (failed(out)) return out;
      if (!BYTE_DTYPES.has(x.value.meta.dtype ?? "") || !BYTE_DTYPES.has(out.quantize.meta.dtype ?? "")) {
        return `the ${name} runs as a table on uint8/int8 only (this one is ${x.value.meta.dtype} → ${out.quantize.meta.dtype}); use a byte dtype in its specs`;
      }
      const attributes = [stringAttribute("op", chain.fused.op)];
      if (chain.fused.params?.alpha !== undefined) attributes.push(floatAttribute("alpha", chain.fused.params.alpha));
      if (chain.fused.params?.beta !== undefined) attributes.push(floatAttribute("beta", chain.fused.params.beta));
      const args = qkitArgs<"QLut", NodeArg>("QLut", { x: x.value, xScale: x.scale, xZeroPoint: x.zp, yScale: out.scale, yZeroPoint: out.zp }, null);
      return { opType: "QLut", domain: QKIT, out, args, attributes };
    };
    const now = lowering();
    result.set(root, { lowering, inner: inner.get(root) ?? [], name, ...(failed(now) ? { failure: now } : {}) });
  }
  return result;
}
