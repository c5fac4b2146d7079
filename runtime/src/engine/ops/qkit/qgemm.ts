import type { OpDef, RtValue } from "../../op.js";
import type { Window2d } from "../../kernels/geometry.js";
import { requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { ACTIVATION_TYPES, BYTE_TYPES } from "./qparams.js";
import { directConvInt, requantOf } from "./linear.js";

const QLINEAR = qkitInputs("QGemm");

/**
 * com.qkit.QGemm: Y = X·Wᵀ (transB=1, Gemm's usual layout) or X·W (transB=0, MatMul) with constant int8 weights,
 * over the last axis of X. Byte activations run the row-major integer GEMM (weights packed once, X read as it is);
 * int16 ones the exact float64 loop, as a 1×1 convolution whose pixels are X's rows.
 */
export const qgemm: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[QLINEAR.x], QLINEAR.x, ctx);
    const w = requireInput(inputs[QLINEAR.w], QLINEAR.w, ctx);
    if (!ACTIVATION_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} activations`);
    if (w.dtype !== "int8" || w.value === undefined || w.dims.length !== 2) ctx.unsupported("with weights that are not a constant int8 matrix");
    const transB = ctx.node.intAttribute("transB", 0) !== 0;
    const [K, M] = transB ? [w.dims[1]!, w.dims[0]!] : [w.dims[0]!, w.dims[1]!];
    if (x.dims.length < 1 || x.dims[x.dims.length - 1] !== K) ctx.fail(`input [${x.dims.join(", ")}] does not end in K = ${K}`);
    const rows = sizeOf(x.dims.slice(0, -1));
    const rq = requantOf(inputs, M, ctx);
    const src = w.value as Int8Array;
    const outDims = [...x.dims.slice(0, -1), M];
    const g: Window2d = { H: 1, W: rows, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, OH: 1, OW: rows };
    const k = ctx.k;
    if (!(BYTE_TYPES.has(x.dtype) && BYTE_TYPES.has(rq.y.dtype))) {
      // Weights as W[M][K], the convolution's layout.
      const weights = ctx.once("qgemm:w", () => {
        if (transB) return src;
        const t = new Int8Array(M * K);
        for (let kk = 0; kk < K; kk++) for (let m = 0; m < M; m++) t[m * K + kk] = src[kk * M + m]!;
        return t;
      });
      return {
        outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
        runtimeInputs: [0],
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const xin = ins[0]!.data as Int16Array;
          const xt = new Int16Array(rows * K);
          for (let r = 0; r < rows; r++) for (let kk = 0; kk < K; kk++) xt[kk * rows + r] = xin[r * K + kk]!;
          const yt = new Int16Array(rows * M);
          directConvInt(xt, yt, 1, 1, K, M, g, weights, rq);
          const out = outs[0]!.data as Int16Array;
          for (let r = 0; r < rows; r++) for (let m = 0; m < M; m++) out[r * M + m] = yt[m * rows + r]!;
        },
      };
    }
    const packed = ctx.once("qweights:gemm", () => k.qgemm.packWeights(src, K, M, transB, rq, ctx.persistentF32));
    k.qgemm.reserve(K);
    return {
      outputs: [{ dtype: rq.y.dtype as never, dims: outDims }],
      runtimeInputs: [0],
      run(ins, outs) {
        k.qgemm.run(packed, ins[0]!.data as Uint8Array | Int8Array, outs[0]!.data as Uint8Array | Int8Array, rows);
      },
    };
  },
};
