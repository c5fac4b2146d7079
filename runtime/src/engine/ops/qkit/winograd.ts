import type { PrepareContext } from "../../op.js";
import type { Kernels, Window2d } from "../../kernels/kernels.js";
import type { PackedLinear, Requant } from "./linear.js";

/** G' = 2G of Winograd F(2×2, 3×3): integer, so U' = G' g G'ᵀ = 4·G g Gᵀ is exact. */
const G2 = [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]];
/** Largest |x − zx| of byte activations, and the largest |Bᵀ d B| it gives. */
const V_MAX = 4 * 255;

/** Integer Winograd applies to 3×3 stride-1 ungrouped convolutions with enough channels to amortize the transforms. */
export function winogradShape(g: Window2d, group: number, C: number, M: number): boolean {
  return group === 1 && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 &&
    C >= 16 && M >= 16 && g.OH * g.OW >= 16;
}

/** U'_ξ[m][c] for the 16 positions ξ = 4·row + column. */
function transformWeights(w: Int8Array, M: number, C: number): Int16Array[] {
  const u = Array.from({ length: 16 }, () => new Int16Array(M * C));
  const t = new Int32Array(12);
  for (let m = 0; m < M; m++) for (let c = 0; c < C; c++) {
    const g = w.subarray((m * C + c) * 9, (m * C + c) * 9 + 9);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) t[i * 3 + j] = G2[i]![0]! * g[j]! + G2[i]![1]! * g[3 + j]! + G2[i]![2]! * g[6 + j]!;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      u[i * 4 + j]![m * C + c] = t[i * 3]! * G2[j]![0]! + t[i * 3 + 1]! * G2[j]![1]! + t[i * 3 + 2]! * G2[j]![2]!;
    }
  }
  return u;
}

/**
 * The transformed weights packed as qconv's A operands (4-row panels, channel pairs), the per-channel bias (the
 * kernel subtracts zx from the input, so no zero-point term) and requantization arrays, and the descriptor; or
 * undefined when some output channel's sums could leave int32, where the convolution takes the im2col path.
 */
export function packWinograd(k: Kernels, ctx: PrepareContext, w: Int8Array, M: number, C: number, rq: Requant,
  layout: (desc: number, a: number, aStride: number, bias: number, mult: number, off: number) => PackedLinear): PackedLinear | undefined {
  const u = transformWeights(w, M, C);
  for (let m = 0; m < M; m++) {
    let bound = 0;
    for (const ux of u) for (let c = 0; c < C; c++) bound += Math.abs(ux[m * C + c]!);
    if (bound * V_MAX + Math.abs(rq.biasAcc[m]!) * 4 >= 2 ** 31) return undefined;
  }
  const C2 = C + (C & 1);
  const panels = Math.ceil(M / 4);
  const aStride = panels * 4 * C2 * 2;
  const bytes = (n: number) => ctx.persistentF32(Math.ceil(n / 4)).byteOffset;
  const a = bytes(16 * aStride);
  const packed = new Int16Array(k.memory.buffer, a, 8 * aStride);
  packed.fill(0);
  u.forEach((ux, xi) => {
    const base = (xi * aStride) / 2;
    for (let p = 0; p < panels; p++) for (let pair = 0; pair < C2 / 2; pair++) for (let r = 0; r < 4; r++) {
      const m = p * 4 + r;
      if (m >= M) continue;
      const at = base + ((p * (C2 / 2) + pair) * 4 + r) * 2;
      packed[at] = ux[m * C + 2 * pair]!;
      packed[at + 1] = 2 * pair + 1 < C ? ux[m * C + 2 * pair + 1]! : 0;
    }
  });
  const bias = bytes(M * 4);
  const mult = bytes(M * 4);
  const off = bytes(M * 4);
  k.view(Int32Array, bias, M).set(rq.biasAcc);
  k.f32(mult, M).set(rq.mult);
  k.f32(off, M).set(rq.off);
  return layout(bytes(32 * 4), a, aStride, bias, mult, off);
}
