import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { Kernels, type Window2d } from "../kernels/kernels.js";
import { requireFloat32, requireInput, windowPads } from "./util.js";

export interface ConvGeometry {
  N: number; C: number; M: number; group: number; g: Window2d;
}

/** Conv attributes and input shapes resolved to a 2-D window (1-D convolutions run as 1×L images). */
export function geometry(x: ValueMeta, w: ValueMeta, ctx: PrepareContext): ConvGeometry {
  const rank = x.dims.length;
  if (rank !== 3 && rank !== 4) ctx.unsupported(`on a rank-${rank} input (1-D and 2-D convolutions only)`);
  if (w.dims.length !== rank) ctx.fail(`weights have rank ${w.dims.length}, input rank ${rank}`);
  const spatial = rank - 2;
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape") ?? w.dims.slice(2);
  const strides = node.intsAttribute("strides") ?? new Array<number>(spatial).fill(1);
  const dilations = node.intsAttribute("dilations") ?? new Array<number>(spatial).fill(1);
  const group = node.intAttribute("group", 1);
  const [N, C] = x.dims as [number, number];
  const M = w.dims[0]!;
  if (w.dims[1]! * group !== C) ctx.fail(`input has ${C} channels, weights expect ${w.dims[1]! * group} (${w.dims[1]} × group ${group})`);
  if (M % group !== 0) ctx.fail(`${M} output channels do not split into ${group} groups`);
  const input = x.dims.slice(2);
  const { pads, out } = windowPads(ctx, input, kernel, strides, dilations);
  const two = (v: number[], one: number) => (spatial === 1 ? [one, v[0]!] : v);
  const [H, W] = two(input, 1);
  const [kh, kw] = two(kernel, 1);
  const [sh, sw] = two(strides, 1);
  const [dh, dw] = two(dilations, 1);
  const [OH, OW] = two(out, 1);
  const ph = spatial === 1 ? 0 : pads[0]!;
  const pw = spatial === 1 ? pads[0]! : pads[1]!;
  return { N, C, M, group, g: { H: H!, W: W!, kh: kh!, kw: kw!, sh: sh!, sw: sw!, ph, pw, dh: dh!, dw: dw!, OH: OH!, OW: OW! } };
}

/**
 * Weights and bias laid out for the kernels: packed A panels per group (back to back from `packed`, with padded
 * biases back to back from `bias`), Winograd's transformed operands, or plain per-channel filters (depthwise).
 */
interface ConvWeights {
  packed?: number;
  bias?: number;
  depthwise?: { w: number; bias: number };
  winograd?: { u: number; uStride: number };
}

/** Winograd F(2×2, 3×3) pays off for 3×3 stride-1 convolutions with enough channels to amortize its transforms. */
function useWinograd(g: Window2d, group: number, C: number, M: number): boolean {
  return group === 1 && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 &&
    C >= 16 && M >= 16 && g.OH * g.OW >= 16;
}

/** U = G g Gᵀ for every (output, input) channel pair, as 16 matrices U_ξ[M][C], ξ = 4·row + column. */
function winogradWeights(w: Float32Array, M: number, C: number): Float32Array[] {
  const u = Array.from({ length: 16 }, () => new Float32Array(M * C));
  const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
  const t = new Float64Array(12);
  for (let m = 0; m < M; m++) {
    for (let c = 0; c < C; c++) {
      const g = w.subarray((m * C + c) * 9, (m * C + c) * 9 + 9);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) t[i * 3 + j] = G[i]![0]! * g[j]! + G[i]![1]! * g[3 + j]! + G[i]![2]! * g[6 + j]!;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
        u[i * 4 + j]![m * C + c] = t[i * 3]! * G[j]![0]! + t[i * 3 + 1]! * G[j]![1]! + t[i * 3 + 2]! * G[j]![2]!;
      }
    }
  }
  return u;
}

const conv: OpDef = {
  fusesClamp: true,
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const w = requireInput(inputs[1], 1, ctx);
    const b = inputs[2];
    requireFloat32(x, "input", ctx);
    requireFloat32(w, "weights", ctx);
    const geo = geometry(x, w, ctx);
    const { N, C, M, group, g } = geo;
    if (b && (b.dims.length !== 1 || b.dims[0] !== M)) ctx.fail(`bias has shape [${b.dims.join(", ")}], expected [${M}]`);
    const outDims = x.dims.length === 3 ? [N, M, g.OW] : [N, M, g.OH, g.OW];
    const k = ctx.k;
    const Cg = C / group;
    const Mg = M / group;
    const K = Cg * g.kh * g.kw;
    const depthwise = group > 1 && Cg === 1;
    const winograd = !depthwise && useWinograd(g, group, C, M);
    const lo = ctx.clamp?.lo ?? -Infinity;
    const hi = ctx.clamp?.hi ?? Infinity;

    const aFloats = k.packedASize(Mg, K);
    const biasFloats = k.paddedRows(Mg);
    // Lay the weights out once per session when they are constants, else on every run.
    const layout = (wData: Float32Array, bData: Float32Array | undefined, into?: ConvWeights): ConvWeights => {
      const out: ConvWeights = into ?? {};
      if (depthwise) {
        if (!out.depthwise) {
          out.depthwise = { w: ctx.persistentF32(M * g.kh * g.kw).byteOffset, bias: ctx.persistentF32(M).byteOffset };
        }
        k.f32(out.depthwise.w, M * g.kh * g.kw).set(wData);
        const bias = k.f32(out.depthwise.bias, M);
        if (bData) bias.set(bData); else bias.fill(0);
        return out;
      }
      if (winograd) {
        const size = k.packedASize(M, C);
        if (!out.winograd) out.winograd = { u: ctx.persistentF32(16 * size).byteOffset, uStride: size * 4 };
        const tmp = k.allocF32(M * C);
        winogradWeights(wData, M, C).forEach((u, xi) => {
          tmp.set(u);
          k.packA(tmp.byteOffset, C, 1, M, C, out.winograd!.u + xi * size * 4);
        });
        k.free(tmp);
        if (out.bias === undefined) out.bias = ctx.persistentF32(k.paddedRows(M)).byteOffset;
        const bias = k.f32(out.bias, k.paddedRows(M));
        bias.fill(0);
        if (bData) bias.set(bData);
        return out;
      }
      const src = k.allocF32(wData.length);
      src.set(wData);
      if (out.packed === undefined) {
        out.packed = ctx.persistentF32(group * aFloats).byteOffset;
        out.bias = ctx.persistentF32(group * biasFloats).byteOffset;
      }
      for (let gi = 0; gi < group; gi++) {
        k.packA(src.byteOffset + gi * Mg * K * 4, K, 1, Mg, K, out.packed + gi * aFloats * 4);
        const bias = k.f32(out.bias! + gi * biasFloats * 4, biasFloats);
        bias.fill(0);
        if (bData) bias.set(bData.subarray(gi * Mg, (gi + 1) * Mg));
      }
      k.free(src);
      return out;
    };
    const constant = w.value !== undefined && (!b || b.value !== undefined);
    const fixed = constant ? ctx.once(winograd ? "weights:winograd" : "weights", () => layout(w.value as Float32Array, b?.value as Float32Array | undefined)) : undefined;
    k.reserveScratch(depthwise ? k.windowScratchFloats(g) : winograd ? k.winogradScratchFloats(C, M) : k.convScratchFloats());
    if (winograd) k.reserveSharedScratch(Kernels.winogradPadFloats(N, C, g));
    const inPlane = g.H * g.W;
    const outPlane = g.OH * g.OW;
    let runtimeWeights: ConvWeights | undefined;

    return {
      outputs: [{ dtype: "float32", dims: outDims }],
      runtimeInputs: constant ? [0] : [0, 1, 2],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        let weights = fixed;
        if (!weights) {
          runtimeWeights = layout(ins[1]!.data as Float32Array, ins[2]?.data as Float32Array | undefined, runtimeWeights);
          weights = runtimeWeights;
        }
        const xp = k.ptr(ins[0]!.data as Float32Array);
        const yp = k.ptr(outs[0]!.data as Float32Array);
        if (weights.winograd) {
          k.winogradConv(xp, N, C, g, k.sharedScratch, weights.winograd.u, weights.winograd.uStride, M, yp, weights.bias!, lo, hi);
          return;
        }
        // A batch with an image or more per thread is split by images; otherwise threads share each image's work.
        const byImages = N >= 2 * k.threads || k.threads === 1;
        if (weights.depthwise) {
          if (byImages) return k.dwconv2dImages(xp, N, C, g, M / C, M, weights.depthwise.w, weights.depthwise.bias, lo, hi, yp);
          for (let n = 0; n < N; n++) {
            k.dwconv2d(xp + n * C * inPlane * 4, g, M / C, M, weights.depthwise.w, weights.depthwise.bias, lo, hi, yp + n * M * outPlane * 4);
          }
          return;
        }
        if (byImages) return k.conv2dImages(xp, N, group, Cg, g, weights.packed!, aFloats * 4, Mg, yp, weights.bias!, biasFloats * 4, lo, hi);
        for (let n = 0; n < N; n++) {
          const xn = xp + n * C * inPlane * 4;
          const yn = yp + n * M * outPlane * 4;
          for (let gi = 0; gi < group; gi++) {
            k.conv2d(xn + gi * Cg * inPlane * 4, Cg, g, weights.packed! + gi * aFloats * 4, Mg, yn + gi * Mg * outPlane * 4,
              weights.bias! + gi * biasFloats * 4, lo, hi);
          }
        }
      },
    };
  },
};

export const convOps: Record<string, OpDef> = { Conv: conv };
