// A convolution whose kernel equals its stride, with no padding (a vision transformer's patch embedding: 16×16
// patches at stride 16) is a GEMM over the patches: each output pixel reads one patch, whose C·kh·kw codes lie in
// the image as C·kh runs of kw bytes. It lowers to two strided copies that lay the patches out as rows (each copy a
// walk of at most four axes, which the byte-copy kernel takes in one call), the row-major integer GEMM (QGemm, at its
// dot-product ceiling, where the convolution's im2col gathers a patch byte run by byte run), and one copy of the
// output back to NCHW. The integers are the QConv's: the same accumulators, requantized by the same per-channel rule.
import type { Node, NodeArg } from "../graph/node.js";
import type { onnx } from "../onnx/proto.js";
import { intsAttribute } from "../onnx/attributes.js";
import { makeTensor, tensorToNumbers } from "../onnx/tensor-data.js";
import { QKIT_DOMAIN, qkitArgs } from "../qkit-ops/schema.js";
import { BYTE_DTYPES, failed, moveShapeReaders, quantizedConstant, quantizedInput, quantizedOutput, replaceQuantizedOutput } from "./match.js";

/**
 * Patches narrower or lower than this stay a QConv (a CNN's 2×2 or 4×4 strided convolution): their rows are too short
 * for the copies, which move a patch row as one run, to pay.
 */
const MIN_SIDE = 8;

function ints(node: Node, name: string): number[] | undefined {
  const a = node.attributes.get(name);
  return a ? (a.ints ?? []).map(Number) : undefined;
}

/**
 * The lowering of a patch-embedding Conv (run it to rewrite the graph; it returns what the report says), or
 * undefined when the node is not one whose parts all lower (the Conv rule then says what it can).
 */
export function patchifyLowering(node: Node): (() => string) | undefined {
  if (node.opType !== "Conv" || node.intAttribute("group", 1) !== 1) return undefined;
  const autoPad = node.attributes.get("auto_pad");
  if (autoPad && autoPad.s && Buffer.from(autoPad.s).toString() !== "NOTSET") return undefined;
  const x = quantizedInput(node.args[0], "the input");
  if (failed(x)) return undefined;
  const w = quantizedConstant(node.args[1], "int8", "the weight");
  if (failed(w)) return undefined;
  const wShape = (w.data.meta.shape ?? []).map(Number);
  const xShape = x.value.meta.shape ?? [];
  if (wShape.length !== 4 || xShape.length !== 4) return undefined;
  const [M, C, kh, kw] = wShape as [number, number, number, number];
  const [, xc, H, W] = xShape;
  if (xc !== C || typeof H !== "number" || typeof W !== "number") return undefined;
  const kernel = ints(node, "kernel_shape") ?? [kh, kw];
  const strides = ints(node, "strides") ?? [1, 1];
  const pads = ints(node, "pads") ?? [0, 0, 0, 0];
  const dilations = ints(node, "dilations") ?? [1, 1];
  if (kernel[0] !== kh || kernel[1] !== kw || strides[0] !== kh || strides[1] !== kw) return undefined;
  if (pads.some((p) => p !== 0) || dilations.some((d) => d !== 1)) return undefined;
  if (kh < MIN_SIDE || kw < MIN_SIDE || H % kh !== 0 || W % kw !== 0) return undefined;
  if (tensorToNumbers(w.scale.tensor!).length > 1 && w.axis !== 0) return undefined;
  let bias: NodeArg = null;
  let biasScale: NodeArg = null;
  if (node.args[2]) {
    const bq = quantizedConstant(node.args[2], "int32", "the bias");
    if (failed(bq)) return undefined;
    bias = bq.data;
    biasScale = bq.scale;
  }
  const out = quantizedOutput(node, false);
  if (failed(out)) return undefined;
  const dtype = x.value.meta.dtype ?? "";
  if (!BYTE_DTYPES.has(dtype) || !BYTE_DTYPES.has(out.quantize.meta.dtype ?? "")) return undefined;
  const OH = H / kh;
  const OW = W / kw;
  const P = OH * OW;
  const K = C * kh * kw;
  const N = xShape[0]!;
  // Leading extents as the shape metadata names them (a symbolic batch times a number stays symbolic).
  const times = (n: number): number | string => (typeof N === "number" ? N * n : `${N}*${n}`);
  return () => {
    const graph = node.graph;
    const at = { before: node };
    const base = node.name;
    const shapeOf = (dims: readonly number[]): Node => {
      const name = graph.uniqueTensorName(`${base}_patch_shape`);
      const p = graph.addParameter(name, makeTensor(name, "int64", [dims.length], BigInt64Array.from(dims, BigInt)), at);
      p.meta.dtype = "int64";
      p.meta.shape = [dims.length];
      return p;
    };
    const call = (opType: string, args: NodeArg[], attributes: onnx.IAttributeProto[], dims: (number | string)[], outDtype = dtype, domain = ""): Node => {
      const n = graph.addCall(opType, args, { domain, attributes, name: graph.uniqueName(`${base}__patches`) }, at);
      n.meta.dtype = outDtype as never;
      n.meta.shape = dims;
      return n;
    };
    // [N, C, OH, kh, OW, kw] → [N, C, OH, OW, kh, kw]: N·C·OH rows of (kh, OW, kw) with kh and OW swapped.
    const rows = call("Reshape", [x.value, shapeOf([-1, kh, OW, kw])], [], [times(C * OH), kh, OW, kw]);
    const swapped = call("Transpose", [rows], [intsAttribute("perm", [0, 2, 1, 3])], [rows.meta.shape![0]!, OW, kh, kw]);
    // [N, C, P, kh·kw] → [N, P, C, kh·kw]: each patch's C runs of kh·kw codes side by side.
    const planes = call("Reshape", [swapped, shapeOf([-1, C, P, kh * kw])], [], [N, C, P, kh * kw]);
    const patches = call("Transpose", [planes], [intsAttribute("perm", [0, 2, 1, 3])], [N, P, C, kh * kw]);
    const matrix = call("Reshape", [patches, shapeOf([-1, K])], [], [times(P), K]);
    const wName = graph.uniqueTensorName(`${w.data.name}_as_patch_rows`);
    const weights = graph.addParameter(wName, makeTensor(wName, "int8", [M, K], Int8Array.from(tensorToNumbers(w.data.tensor!))), at);
    weights.meta.dtype = "int8";
    weights.meta.shape = [M, K];
    const outDtype = out.quantize.meta.dtype ?? dtype;
    const gemm = call("QGemm", qkitArgs("QGemm", { x: matrix, xScale: x.scale, xZeroPoint: x.zp, w: weights, wScale: w.scale, wZeroPoint: w.zp,
      yScale: out.scale, yZeroPoint: out.zp, bias, biasScale }, null), [{ name: "transB", type: 2, i: 1 }],
    [matrix.meta.shape![0]!, M], outDtype, QKIT_DOMAIN);
    // [N·P, M] → [N, M, P] → [N, M, OH, OW], the convolution's layout.
    const byPixel = call("Reshape", [gemm, shapeOf([-1, P, M])], [], [N, P, M], outDtype);
    const byChannel = call("Transpose", [byPixel], [intsAttribute("perm", [0, 2, 1])], [N, M, P], outDtype);
    const result = call("Reshape", [byChannel, shapeOf([-1, M, OH, OW])], [], [...(out.quantize.meta.shape ?? [N, M, OH, OW])], outDtype);
    const tensor = out.quantize.valueName;
    replaceQuantizedOutput(out, result);
    moveShapeReaders(node, result);
    graph.eraseNode(node);
    graph.setOutputNames(result, [tensor]);
    graph.rename(gemm, node.name);
    return `${QKIT_DOMAIN}.QGemm over its ${kh}×${kw} patches (laid out by Transpose on ${dtype})`;
  };
}
