import type { OpDef, RtValue } from "../op.js";
import type { Window2d } from "../kernels/geometry.js";
import { requireFloat32, requireInput, sizeOf, stridesOf } from "./util.js";

/**
 * ConvTranspose as a GEMM and a scatter: for each image and group, cols ((M/g)·k… × input pixels) = Wᵀ · x on the
 * GEMM kernel, then every column value is added at its output position with the bias (col2im, a kernel for 1-D and
 * 2-D; 3-D scatters here).
 */
const convTranspose: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const w = requireInput(inputs[1], 1, ctx);
    requireFloat32(x, "input", ctx);
    requireFloat32(w, "weights", ctx);
    const rank = x.dims.length;
    if (rank < 3 || rank > 5) ctx.unsupported(`on a rank-${rank} input (1-D, 2-D and 3-D only)`);
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
    const k = ctx.k;
    const taps = sizeOf(kernel);
    const rows = Mg * taps;
    const HW = sizeOf(input);
    const OHW = sizeOf(out);
    const createA = () => Array.from({ length: group }, () => k.gemm.createA(rows, Cg, ctx.persistentF32));
    const packWeights = (packedA: ReturnType<typeof createA>, wData: Float32Array) => {
      // Wᵀ of group g: row (m, taps…), column ci, read from W[g·Cg + ci][m][taps…].
      for (let g = 0; g < group; g++) k.gemm.packA(packedA[g]!, { data: wData, offset: g * Cg * rows, rowStride: 1, colStride: rows });
      return packedA;
    };
    const constW = w.value !== undefined;
    // Constant weights are packed once per session, whatever the input shapes.
    const packedA = constW ? ctx.once("W", () => packWeights(createA(), w.value as Float32Array)) : createA();
    const packedB = k.gemm.createB(Cg, HW, ctx.persistentF32);
    const cols = ctx.persistentF32(rows * HW);
    const two = (v: number[], one: number) => (n === 1 ? [one, v[0]!] : v);
    const window: Window2d | undefined = n <= 2 ? (() => {
      const [H, W] = two(input, 1) as [number, number];
      const [kh, kw] = two(kernel, 1) as [number, number];
      const [sh, sw] = two(strides, 1) as [number, number];
      const [dh, dw] = two(dilations, 1) as [number, number];
      const [OH, OW] = two(out, 1) as [number, number];
      const [ph, pw] = n === 1 ? [0, pads[0]!] : [pads[0]!, pads[1]!];
      return { H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW };
    })() : undefined;
    const scatter = window ? undefined : scatterNd(input, kernel, strides, dilations, pads.slice(0, n), out, Mg);
    return {
      outputs: [{ dtype: "float32", dims: [N, M, ...out] }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        if (!constW) packWeights(packedA, ins[1]!.data as Float32Array);
        const X = ins[0]!.data as Float32Array;
        const Y = outs[0]!.data as Float32Array;
        const bias = ins[2]?.data as Float32Array | undefined;
        for (let img = 0; img < N; img++) {
          for (let g = 0; g < group; g++) {
            k.gemm.packB(packedB, { data: X, offset: (img * C + g * Cg) * HW, rowStride: HW, colStride: 1 });
            k.gemm.run(packedA[g]!, packedB, { y: cols });
            const at = (img * M + g * Mg) * OHW;
            if (window) k.col2im.run(cols, Y, at, Mg, window, bias, g * Mg);
            else scatter!(cols, Y, at, bias, g * Mg);
          }
        }
      },
      runtimeInputs: constW ? [0, 2] : [0, 1, 2],
    };
  },
};

/**
 * col2im for any number of spatial axes (3-D volumes here): output channel m of the group starts at its bias, and
 * cols row (m, tap) adds input pixel i at output position i·stride − pad + tap·dilation when that lies inside.
 */
function scatterNd(input: number[], kernel: number[], strides: number[], dilations: number[], pads: number[], out: number[], Mg: number) {
  const n = input.length;
  const taps = sizeOf(kernel);
  const HW = sizeOf(input);
  const OHW = sizeOf(out);
  const kStr = stridesOf(kernel);
  const inStr = stridesOf(input);
  const outStr = stridesOf(out);
  return (cols: Float32Array, Y: Float32Array, at: number, bias: Float32Array | undefined, biasAt: number) => {
    for (let m = 0; m < Mg; m++) {
      Y.fill(bias ? bias[biasAt + m]! : 0, at + m * OHW, at + (m + 1) * OHW);
      for (let t = 0; t < taps; t++) {
        const row = (m * taps + t) * HW;
        for (let i = 0; i < HW; i++) {
          let off = 0;
          let inside = true;
          for (let d = 0; d < n && inside; d++) {
            const o = (Math.floor(i / inStr[d]!) % input[d]!) * strides[d]! - pads[d]! + (Math.floor(t / kStr[d]!) % kernel[d]!) * dilations[d]!;
            inside = o >= 0 && o < out[d]!;
            off += o * outStr[d]!;
          }
          if (inside) Y[at + m * OHW + off]! += cols[row + i]!;
        }
      }
    }
  };
}

export const convTransposeOps: Record<string, OpDef> = { ConvTranspose: convTranspose };
