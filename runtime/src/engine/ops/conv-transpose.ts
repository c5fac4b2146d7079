import type { OpDef, RtValue } from "../op.js";
import { requireFloat32, requireInput } from "./util.js";

/**
 * ConvTranspose as a GEMM and a scatter: for each image and group, cols ((M/g)·kh·kw × H·W) = Wᵀ · x on the GEMM
 * kernel, then every column value is added at its output position (col2im), then the bias.
 */
const convTranspose: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const w = requireInput(inputs[1], 1, ctx);
    const b = inputs[2];
    requireFloat32(x, "input", ctx);
    requireFloat32(w, "weights", ctx);
    const rank = x.dims.length;
    if (rank !== 3 && rank !== 4) ctx.unsupported(`on a rank-${rank} input (1-D and 2-D only)`);
    const n = rank - 2;
    const node = ctx.node;
    const group = node.intAttribute("group", 1);
    const [N, C] = x.dims as [number, number];
    if (w.dims[0] !== C) ctx.fail(`weights are for ${w.dims[0]} input channels, the input has ${C}`);
    const Mg = w.dims[1]!;
    const M = Mg * group;
    const Cg = C / group;
    const kernel = node.intsAttribute("kernel_shape") ?? w.dims.slice(2);
    const strides = node.intsAttribute("strides") ?? new Array<number>(n).fill(1);
    const dilations = node.intsAttribute("dilations") ?? new Array<number>(n).fill(1);
    const outPad = node.intsAttribute("output_padding") ?? new Array<number>(n).fill(0);
    const input = x.dims.slice(2);
    const autoPad = node.stringAttribute("auto_pad", "NOTSET");
    let pads = node.intsAttribute("pads") ?? new Array<number>(2 * n).fill(0);
    let out: number[];
    const explicit = node.intsAttribute("output_shape");
    const full = (i: number) => strides[i]! * (input[i]! - 1) + outPad[i]! + (kernel[i]! - 1) * dilations[i]! + 1;
    if (explicit || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      out = explicit ? explicit.slice(-n) : input.map((d, i) => d * strides[i]!);
      pads = new Array<number>(2 * n).fill(0);
      for (let i = 0; i < n; i++) {
        const total = full(i) - out[i]!;
        const half = Math.floor(total / 2);
        const upper = autoPad === "SAME_UPPER";
        pads[i] = upper ? half : total - half;
        pads[i + n] = upper ? total - half : half;
      }
    } else {
      if (autoPad === "VALID") pads = new Array<number>(2 * n).fill(0);
      out = input.map((_, i) => full(i) - pads[i]! - pads[i + n]!);
    }
    const two = (v: number[], one: number) => (n === 1 ? [one, v[0]!] : v);
    const [H, W] = two(input, 1) as [number, number];
    const [kh, kw] = two(kernel, 1) as [number, number];
    const [sh, sw] = two(strides, 1) as [number, number];
    const [dh, dw] = two(dilations, 1) as [number, number];
    const [OH, OW] = two(out, 1) as [number, number];
    const [ph, pw] = n === 1 ? [0, pads[0]!] : [pads[0]!, pads[1]!];
    const k = ctx.k;
    const rows = Mg * kh * kw;
    const HW = H * W;
    const packedA = Array.from({ length: group }, () => k.gemm.createA(rows, Cg, ctx.persistentF32));
    const packedB = k.gemm.createB(Cg, HW, ctx.persistentF32);
    const cols = ctx.persistentF32(rows * HW);
    const packWeights = (wData: Float32Array) => {
      // Wᵀ of group g: row (m, ky, kx), column ci, read from W[g·Cg + ci][m][ky][kx].
      for (let g = 0; g < group; g++) k.gemm.packA(packedA[g]!, { data: wData, offset: g * Cg * rows, rowStride: 1, colStride: rows });
    };
    const constW = w.value !== undefined;
    if (constW) packWeights(w.value as Float32Array);
    return {
      outputs: [{ dtype: "float32", dims: [N, M, ...out] }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        if (!constW) packWeights(ins[1]!.data as Float32Array);
        const X = ins[0]!.data as Float32Array;
        const Y = outs[0]!.data as Float32Array;
        const bias = ins[2]?.data as Float32Array | undefined;
        Y.fill(0);
        for (let img = 0; img < N; img++) {
          for (let g = 0; g < group; g++) {
            k.gemm.packB(packedB, { data: X, offset: (img * C + g * Cg) * HW, rowStride: HW, colStride: 1 });
            k.gemm.run(packedA[g]!, packedB, { y: cols });
            for (let r = 0; r < rows; r++) {
              const m = Math.floor(r / (kh * kw));
              const ky = Math.floor(r / kw) % kh;
              const kx = r % kw;
              const base = ((img * M + g * Mg + m) * OH) * OW;
              for (let iy = 0; iy < H; iy++) {
                const oy = iy * sh - ph + ky * dh;
                if (oy < 0 || oy >= OH) continue;
                for (let ix = 0; ix < W; ix++) {
                  const ox = ix * sw - pw + kx * dw;
                  if (ox < 0 || ox >= OW) continue;
                  Y[base + oy * OW + ox]! += cols[r * HW + iy * W + ix]!;
                }
              }
            }
          }
          if (bias) for (let m = 0; m < M; m++) for (let i = 0; i < OH * OW; i++) Y[(img * M + m) * OH * OW + i]! += bias[m]!;
        }
      },
      runtimeInputs: constW ? [0, 2] : [0, 1, 2],
    };
  },
};

export const convTransposeOps: Record<string, OpDef> = { ConvTranspose: convTranspose };
