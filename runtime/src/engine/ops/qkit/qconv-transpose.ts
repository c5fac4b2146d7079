import type { OpDef, RtValue, ValueMeta } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
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
    const k = ctx.k;
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
