// An embedding lookup quantized weight-only (ONNX Runtime's and PT2E's way): Gather reads a DequantizeLinear of an
// int8 table, and its output is quantized. Gathering and then quantizing equals gathering from the table requantized
// once to the output's parameters, code by code, so the lookup runs on bytes and its QuantizeLinear disappears.
import type { Node } from "../graph/node.js";
import { makeTensor, tensorToNumbers } from "../onnx/tensor-data.js";
import { isQdqOp } from "../onnx/qdq-ops.js";
import { BYTE_DTYPES, failed, quantizedOutput, roundHalfEven, type Match } from "./match.js";
import type { Lowering } from "./rules.js";

function isDequantizeOfConstant(arg: Node | null | undefined): arg is Node {
  return !!arg && arg.kind === "call" && isQdqOp(arg.domain, arg.opType) && arg.opType === "DequantizeLinear" &&
    arg.args[0]?.kind === "parameter" && arg.args[1]?.kind === "parameter" && (!arg.args[2] || arg.args[2].kind === "parameter");
}

/** Gather from a dequantized constant table into a quantized output, or undefined when its data is not such a table. */
export function embedding(node: Node): Match<Lowering> | undefined {
  const dq = node.args[0];
  if (!isDequantizeOfConstant(dq)) return undefined;
  if (dq.intAttribute("block_size", 0) !== 0) return "the table is block-quantized; quantize it per tensor or per row to run the lookup on bytes";
  const out = quantizedOutput(node, false);
  if (failed(out)) return out;
  const dtype = out.quantize.meta.dtype ?? "";
  if (!BYTE_DTYPES.has(dtype)) return `Gather lowers on uint8/int8 only (its output is ${dtype})`;
  const table = dq.args[0]!;
  const dims = (table.tensor!.dims ?? []).map(Number);
  const codes = tensorToNumbers(table.tensor!);
  const scales = tensorToNumbers(dq.args[1]!.tensor!);
  const zps = dq.args[2] ? tensorToNumbers(dq.args[2].tensor!) : [0];
  const axis = dq.intAttribute("axis", 1) < 0 ? dq.intAttribute("axis", 1) + dims.length : dq.intAttribute("axis", 1);
  const inner = scales.length === 1 ? codes.length : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ys = Math.fround(tensorToNumbers(out.scale.tensor!)[0]!);
  const yz = out.zp ? tensorToNumbers(out.zp.tensor!)[0]! : 0;
  const [lo, hi] = dtype === "int8" ? [-128, 127] : [0, 255];
  const requantized = dtype === "int8" ? new Int8Array(codes.length) : new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = scales.length === 1 ? 0 : Math.floor(i / inner) % scales.length;
    // DequantizeLinear then QuantizeLinear, each in float32 as the reference computes them.
    const v = Math.fround((codes[i]! - (zps[c] ?? zps[0]!)) * Math.fround(scales[c]!));
    requantized[i] = Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(v / ys)) + yz));
  }
  const graph = node.graph;
  const name = graph.uniqueTensorName(`${table.name}_as_${out.quantize.name}`);
  const param = graph.addParameter(name, makeTensor(name, dtype as "uint8", dims, requantized));
  param.meta.dtype = dtype as "uint8";
  param.meta.shape = dims;
  return { opType: "Gather", domain: "", out, args: [param, ...node.args.slice(1)], attributes: [...node.attributes.values()] };
}
