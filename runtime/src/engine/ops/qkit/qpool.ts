import type { OpDef, RtValue } from "../../op.js";
import { poolGeometry } from "../pool.js";
import { requireInput, sizeOf } from "../util.js";
import { roundHalfEven } from "../math.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, perTensor } from "./qparams.js";
import type { Bytes } from "../../kernels/qconv.js";
import { sameQuant, tableOf } from "./lut.js";

const QUNARY = qkitInputs("QMaxPool");

/** com.qkit.QMaxPool: max commutes with the monotonic dequantize/quantize, so the kernel takes the max of codes. */
export const qmaxpool: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QUNARY.x], 0, ctx);
    if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
    const xq = perTensor(inputs[QUNARY.xScale], inputs[QUNARY.xZeroPoint], "input", ctx);
    const yq = perTensor(inputs[QUNARY.yScale], inputs[QUNARY.yZeroPoint], "output", ctx);
    const { planes, g, outDims } = poolGeometry(x, ctx, true);
    if (ctx.node.intAttribute("storage_order", 0) !== 0) ctx.unsupported("with storage_order 1");
    const k = ctx.k;
    k.qwindow.reserve(g, true);
    const table = sameQuant(xq, yq) ? undefined : ctx.once("lut", () => tableOf(ctx, xq, yq, (v) => v));
    const n = sizeOf(outDims);
    const signed = x.dtype === "int8";
    return {
      outputs: [{ dtype: yq.dtype as never, dims: outDims }],
      runtimeInputs: [0],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const y = outs[0]!.data as Uint8Array;
        k.qwindow.maxpool(ins[0]!.data as Uint8Array, y, planes, g, signed);
        if (table !== undefined) k.qeltwise.lut(y, y, n, table, signed);
      },
    };
  },
};

/**
 * com.qkit.QGlobalAveragePool and QAveragePool: exact integer window sums, requantized in float64 as
 * round_half_even((Σ(x − zx))·s_x / (count·s_y)) + zy. The reference averages float32 values, so results can
 * differ where its sum lies within float32 rounding of a half-integer (a documented tie).
 */
function averagePool(global: boolean): OpDef {
  return {
    prepare(inputs, ctx) {
      const x = requireInput(inputs[QUNARY.x], 0, ctx);
      if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
      const xq = perTensor(inputs[QUNARY.xScale], inputs[QUNARY.xZeroPoint], "input", ctx);
      const yq = perTensor(inputs[QUNARY.yScale], inputs[QUNARY.yZeroPoint], "output", ctx);
      const k = ctx.k;
      const requant = (sum: number, count: number) =>
        Math.min(yq.max, Math.max(yq.min, roundHalfEven((sum * xq.scale) / (count * yq.scale)) + yq.zp));
      if (global) {
        const planes = x.dims[0]! * x.dims[1]!;
        const size = sizeOf(x.dims.slice(2));
        const outDims = [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)];
        return {
          outputs: [{ dtype: yq.dtype as never, dims: outDims }],
          runtimeInputs: [0],
          run(ins, outs) {
            k.qwindow.globalAverage(ins[0]!.data as Bytes, outs[0]!.data as Bytes, planes, size, x.dtype === "int8", xq, yq, yq.min, yq.max);
          },
        };
      }
      const { planes, g, outDims } = poolGeometry(x, ctx, false);
      const includePad = ctx.node.intAttribute("count_include_pad", 0) !== 0;
      return {
        outputs: [{ dtype: yq.dtype as never, dims: outDims }],
        runtimeInputs: [0],
        run(ins, outs) {
          const src = ins[0]!.data as Uint8Array | Int8Array;
          const y = outs[0]!.data as Uint8Array | Int8Array;
          if (g.dh === 1 && g.dw === 1 && k.inMemory(src) && k.inMemory(y)) {
            return k.qwindow.average(src, y, planes, g, includePad, x.dtype === "int8", xq, yq, yq.min, yq.max);
          }
          for (let p = 0; p < planes; p++) for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
            let sum = 0;
            let count = 0;
            for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.sh - g.ph + ky;
              const ix = ox * g.sw - g.pw + kx;
              // ONNX counts padding only inside the padded input, never beyond it (ceil_mode windows).
              const inPad = iy < g.H + g.ph && ix < g.W + g.pw;
              if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) {
                if (includePad && inPad) count++;
                continue;
              }
              sum += src[p * g.H * g.W + iy * g.W + ix]! - xq.zp;
              count++;
            }
            y[(p * g.OH + oy) * g.OW + ox] = requant(sum, count);
          }
        },
      };
    },
  };
}

export const qglobalAveragePool = averagePool(true);
export const qaveragePool = averagePool(false);
