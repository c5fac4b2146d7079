import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../../op.js";
import type { Bytes, Requantization } from "../../kernels/qconv.js";
import type { Window2d } from "../../kernels/geometry.js";
import { numbers, requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, biasFolds, outputClamp, perChannel, perTensor } from "./qparams.js";
import { centered, floatCore, requantize } from "./float-core.js";

const Q = qkitInputs("QConvTranspose");

/**
 * com.qkit.QConvTranspose: a transposed convolution of a quantized activation with constant int8 weights (per tensor,
 * or per output channel along the weight's axis 1), an int32 bias and a fused Relu/Clip. The float ConvTranspose
 * sums the products of centered codes and integer weights exactly; each output channel is requantized with
 * s_x·s_w[m] / s_y, the bias added in accumulator units.
 */
export const qconvTranspose: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[Q.x], Q.x, ctx);
    const w = requireInput(inputs[Q.w], Q.w, ctx);
    if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} activations (uint8 and int8 only)`);
    if (w.dtype !== "int8" || w.value === undefined) ctx.unsupported("with weights that are not constant int8");
    const xq = perTensor(inputs[Q.xScale], inputs[Q.xZeroPoint], "input", ctx);
    const yq = perTensor(inputs[Q.yScale], inputs[Q.yZeroPoint], "output", ctx);
    if (!BYTE_TYPES.has(yq.dtype)) ctx.unsupported(`with a ${yq.dtype} output (uint8 and int8 only)`);
    const group = ctx.node.intAttribute("group", 1);
    const Mg = w.dims[1]!;
    const M = Mg * group;
    const ws = perChannel(inputs[Q.wScale], Mg, 1).map(Math.fround);
    if (ws.length !== Mg) ctx.unsupported(`with ${ws.length} weight scales for ${Mg} output channels per group`);
    if (perChannel(inputs[Q.wZeroPoint], Mg, 0).some((z) => z !== 0)) ctx.unsupported("with a nonzero weight zero point");
    const biasMeta = inputs[Q.bias];
    if (biasMeta && biasMeta.value === undefined) ctx.unsupported("with a bias computed at run time");
    const bq = biasMeta?.value !== undefined ? numbers(biasMeta.value) : undefined;
    if (bq && bq.length !== M) ctx.fail(`bias has ${bq.length} values for ${M} output channels`);
    const bs = perChannel(inputs[Q.biasScale], M, NaN);
    const { qlo, qhi } = outputClamp(yq, ctx);
    const k = ctx.k;
    const tiled = tiledAsPointwise(x, w, group, ctx);
    if (tiled) {
      // Stride = kernel: every output pixel takes exactly one tap, so the transposed convolution is a 1×1 integer
      // convolution to M·kh·kw tap planes (requantized per output channel as QConv does), then depth to space.
      const { N, C, H, W, kh, kw } = tiled;
      const taps = kh * kw;
      const Mt = M * taps;
      const rq: Requantization = {
        mult: new Float32Array(Mt), biasAcc: new Int32Array(Mt), off: new Float32Array(Mt), zx: xq.zp, zy: yq.zp, qlo, qhi,
        signedInput: x.dtype === "int8", signedOutput: yq.dtype === "int8",
      };
      for (let m = 0; m < M; m++) {
        const sb = Number.isNaN(bs[m]!) ? xq.scale * ws[m]! : bs[m]!;
        const b = bq?.[m] ?? 0;
        const folds = biasFolds(sb, xq.scale, ws[m]!);
        for (let t = 0; t < taps; t++) {
          rq.mult[m * taps + t] = (xq.scale * ws[m]!) / yq.scale;
          if (folds) rq.biasAcc[m * taps + t] = b;
          else rq.off[m * taps + t] = (b * sb) / yq.scale;
        }
      }
      const packed = ctx.once("qweights:tiled", () => {
        const wv = w.value as Int8Array;
        const wt = new Int8Array(Mt * C);
        for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) for (let t = 0; t < taps; t++) wt[(m * taps + t) * C + c] = wv[(c * M + m) * taps + t]!;
        return k.qconv.pack(wt, { groups: 1, M: Mt, K: C }, rq, ctx.persistentF32);
      });
      const g: Window2d = { H, W, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, OH: H, OW: W };
      k.qconv.reserve(Mt, C, g);
      const planes = ctx.persistentF32(Math.ceil((N * Mt * H * W) / 4));
      return {
        outputs: [{ dtype: yq.dtype as never, dims: [N, M, H * kh, W * kw] }],
        runtimeInputs: [Q.x],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          k.qconv.runTaps(packed, ins[Q.x]!.data as Bytes, outs[0]!.data as Bytes, planes, { ...tiled, M });
        },
      };
    }
    const cx = centered(x, xq, ctx);
    const weights = ctx.once("q:w", () => Float32Array.from(numbers(w.value!)));
    const wMeta: ValueMeta = { dtype: "float32", dims: w.dims, value: weights };
    const bias = ctx.once("q:bias", () => {
      if (!bq) return undefined;
      const b = ctx.persistentF32(M);
      for (let m = 0; m < M; m++) {
        const wsm = ws[m % Mg]!;
        const sb = Number.isNaN(bs[m]!) ? xq.scale * wsm : bs[m]!;
        b[m] = biasFolds(sb, xq.scale, wsm) ? bq[m]! : (bq[m]! * sb) / (xq.scale * wsm);
      }
      return b;
    });
    const biasIn: RtValue | undefined = bias ? { dtype: "float32", dims: [M], data: bias } : undefined;
    const core = floatCore("ConvTranspose", [cx.meta, wMeta, biasIn ? { dtype: "float32", dims: [M], value: bias } : undefined], ctx);
    const dims = core.outputs[0]!.dims;
    const n = sizeOf(dims);
    const plane = sizeOf(dims.slice(2));
    const acc = ctx.persistentF32(n);
    const coreIns = [cx.value, { dtype: "float32", dims: w.dims, data: weights } as RtValue, biasIn];
    const coreOuts: RtValue[] = [{ dtype: "float32", dims, data: acc }];
    const scales = Array.from({ length: M }, (_, m) => yq.scale / (xq.scale * ws[m % Mg]!));
    return {
      outputs: [{ dtype: yq.dtype as never, dims }],
      runtimeInputs: [Q.x],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        cx.load(ins[Q.x]!.data as Bytes);
        core.run!(coreIns, coreOuts);
        const y = outs[0]!.data as Bytes;
        for (let img = 0; img < dims[0]!; img++) {
          for (let m = 0; m < M; m++) requantize(k, acc, y, plane, scales[m]!, yq, qlo, qhi, (img * M + m) * plane);
        }
      },
    };
  },
};

/**
 * The image geometry when a 2-D transposed convolution's stride equals its kernel with no padding, dilation, output
 * padding or groups (U-Net's 2×2 up-convolutions): its output is then N × M × H·kh × W·kw.
 */
function tiledAsPointwise(x: ValueMeta, w: ValueMeta, group: number, ctx: PrepareContext):
  { N: number; C: number; H: number; W: number; kh: number; kw: number } | undefined {
  if (group !== 1 || x.dims.length !== 4 || w.dims.length !== 4) return undefined;
  const node = ctx.node;
  const [kh, kw] = [w.dims[2]!, w.dims[3]!];
  const strides = node.intsAttribute("strides") ?? [1, 1];
  const dilations = node.intsAttribute("dilations") ?? [1, 1];
  const pads = node.intsAttribute("pads") ?? [0, 0, 0, 0];
  const outPad = node.intsAttribute("output_padding") ?? [0, 0];
  const kernel = node.intsAttribute("kernel_shape") ?? [kh, kw];
  if (node.stringAttribute("auto_pad", "NOTSET") !== "NOTSET" || node.intsAttribute("output_shape")) return undefined;
  if (kernel[0] !== kh || kernel[1] !== kw || strides[0] !== kh || strides[1] !== kw) return undefined;
  if (dilations.some((d) => d !== 1) || pads.some((p) => p !== 0) || outPad.some((p) => p !== 0)) return undefined;
  const [N, C, H, W] = x.dims as [number, number, number, number];
  if (w.dims[0] !== C) return undefined;
  return { N, C, H, W, kh, kw };
}
