// Entry points over the GEMM core: the plain GEMM on fully packed operands, and the packing routines.
import { KC, MR, NR, BIAS_COL, BIAS_ROW, kblock } from "./gemm_core";
import { madd } from "./madd";
import { vclampOut, zeroFix } from "./vmath";

/** Rows per A panel of this build (pack_a's layout). */
export function gemm_mr(): i32 {
  return MR;
}

/**
 * C = clamp(A·B + bias, lo, hi) for column blocks [j0, j1) and row panels [p0, p1) (a worker's share); A and B
 * fully packed.
 * `tmp` is 32 floats of scratch private to the caller.
 */
export function gemm_packed(
  a: usize, b: usize, c: usize, ldc: i32, M: i32, N: i32, K: i32,
  bias: usize, biasMode: i32, lo: f32, hi: f32, j0: i32, j1: i32, p0: i32, p1: i32, tmp: usize,
): void {
  if (K == 0) {
    // Nothing to multiply: C is the bias alone (still clamped).
    for (let m = p0 * MR; m < min(M, p1 * MR); m++) for (let n = j0 * NR; n < min(N, j1 * NR); n++) {
      const v: f32 = biasMode == BIAS_ROW ? load<f32>(bias + (<usize>m << 2)) : biasMode == BIAS_COL ? load<f32>(bias + (<usize>n << 2)) : 0;
      store<f32>(c + ((<usize>m * ldc + n) << 2), min(max(v, lo), hi));
    }
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    kblock(a + <usize>(k0 * MR * 4), <usize>(K * MR * 4), b + (<usize>k0 << 5), <usize>K << 5, 0, kc, c, ldc, M, N, j0, j1, p0, p1,
      k0 == 0, k0 + kc >= K, bias, biasMode, lo, hi, tmp);
  }
}

/**
 * C (one row) = clamp(a·B + bias) for column blocks [j0, j1): a GEMM with M = 1 (a classifier on one image) reads
 * row 0 of its packed A panel and streams B once, two blocks of k at a time into separate accumulators, instead of
 * computing the panel's three zero rows. `tmp` is 32 floats of scratch private to the caller.
 */
export function gemv_packed(
  a: usize, b: usize, c: usize, N: i32, K: i32, bias: usize, biasMode: i32, lo: f32, hi: f32, j0: i32, j1: i32, tmp: usize,
): void {
  const aStep = <usize>MR << 2;
  for (let j = j0; j < j1; j++) {
    const n0 = j * NR;
    let x0 = f32x4.splat(0), x1 = x0, y0 = x0, y1 = x0;
    if (biasMode == BIAS_COL) {
      x0 = v128.load(bias + (<usize>n0 << 2));
      x1 = v128.load(bias + (<usize>n0 << 2), 16);
    } else if (biasMode == BIAS_ROW) {
      x0 = v128.load32_splat(bias);
      x1 = x0;
    }
    let ak = a;
    let bk = b + <usize>j * (<usize>K << 5);
    let k = 0;
    for (; k + 2 <= K; k += 2) {
      const av0 = v128.load32_splat(ak);
      const av1 = v128.load32_splat(ak + aStep);
      x0 = madd(av0, v128.load(bk), x0);
      x1 = madd(av0, v128.load(bk, 16), x1);
      y0 = madd(av1, v128.load(bk, 32), y0);
      y1 = madd(av1, v128.load(bk, 48), y1);
      ak += aStep << 1;
      bk += 64;
    }
    if (k < K) {
      const av = v128.load32_splat(ak);
      x0 = madd(av, v128.load(bk), x0);
      x1 = madd(av, v128.load(bk, 16), x1);
    }
    const vlo = f32x4.splat(lo);
    const vfix = zeroFix(vlo);
    const vhi = f32x4.splat(hi);
    const r0 = vclampOut(f32x4.add(x0, y0), vlo, vhi, vfix);
    const r1 = vclampOut(f32x4.add(x1, y1), vlo, vhi, vfix);
    const dst = c + (<usize>n0 << 2);
    if (n0 + NR <= N) {
      v128.store(dst, r0);
      v128.store(dst, r1, 16);
    } else {
      v128.store(tmp, r0);
      v128.store(tmp, r1, 16);
      for (let q = 0; q < N - n0; q++) store<f32>(dst + (<usize>q << 2), load<f32>(tmp + (<usize>q << 2)));
    }
  }
}

/**
 * Pack a row-major-with-strides matrix X[r][k] = src[r·rs + k·ks] (element strides) into A panels of MR rows.
 * Used for weights once, and for run-time left operands of MatMul and Gemm on every run, so the two layouts
 * activations come in take vector paths: contiguous rows (ks = 1) four 4×4 transposes at a time, contiguous columns
 * (rs = 1, a transposed operand) one vector per k. Partial panels and K's remainder take the scalar loop.
 */
export function pack_a(src: usize, rs: i32, ks: i32, M: i32, K: i32, dst: usize): void {
  const panels = (M + MR - 1) / MR;
  for (let p = 0; p < panels; p++) {
    const m0 = p * MR;
    let k = 0;
    if (MR == 4 && m0 + MR <= M) {
      if (ks == 1) {
        const rowBytes = <usize>rs << 2;
        let r0 = src + ((<usize>m0 * rs) << 2);
        for (; k + 4 <= K; k += 4) {
          transpose4(dst, v128.load(r0), v128.load(r0 + rowBytes), v128.load(r0 + 2 * rowBytes), v128.load(r0 + 3 * rowBytes), 16);
          r0 += 16;
          dst += 64;
        }
      } else if (rs == 1) {
        let col = src + (<usize>m0 << 2);
        const kBytes = <usize>ks << 2;
        for (; k < K; k++) {
          v128.store(dst, v128.load(col));
          col += kBytes;
          dst += 16;
        }
      }
    }
    for (; k < K; k++) {
      for (let r = 0; r < MR; r++) {
        const m = m0 + r;
        store<f32>(dst, m < M ? load<f32>(src + ((<usize>m * rs + <usize>k * ks) << 2)) : 0);
        dst += 4;
      }
    }
  }
}

/** Store the 4×4 block with rows x0..x3 transposed: column c of the block at dst + c·stride. */
// @ts-ignore: decorator
@inline function transpose4(dst: usize, x0: v128, x1: v128, x2: v128, x3: v128, stride: usize): void {
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/**
 * Pack Y[k][n] = src[k·ks + n·ns] into B blocks of 8 columns (full K). Row-contiguous sources (ns = 1) copy vectors;
 * column-contiguous ones (ks = 1: a transposed operand such as attention's Kᵀ) transpose 4×4 blocks.
 */
export function pack_b(src: usize, ks: i32, ns: i32, K: i32, N: i32, dst: usize): void {
  const blocks = (N + NR - 1) / NR;
  for (let j = 0; j < blocks; j++) {
    const n0 = j * NR;
    const whole = n0 + NR <= N;
    let k = 0;
    if (whole && ns != 1 && ks == 1) {
      const colBytes = <usize>ns << 2;
      let c0 = src + ((<usize>n0 * ns) << 2);
      const c4: usize = colBytes << 2;
      for (; k + 4 <= K; k += 4) {
        transpose4(dst, v128.load(c0), v128.load(c0 + colBytes), v128.load(c0 + 2 * colBytes), v128.load(c0 + 3 * colBytes), 32);
        transpose4(dst + 16, v128.load(c0 + c4), v128.load(c0 + c4 + colBytes), v128.load(c0 + c4 + 2 * colBytes),
          v128.load(c0 + c4 + 3 * colBytes), 32);
        c0 += 16;
        dst += 128;
      }
    }
    for (; k < K; k++) {
      const row = src + ((<usize>k * ks + n0 * ns) << 2);
      if (whole && ns == 1) {
        v128.store(dst, v128.load(row));
        v128.store(dst, v128.load(row, 16), 16);
      } else {
        for (let q = 0; q < NR; q++) store<f32>(dst + (q << 2), n0 + q < N ? load<f32>(row + ((<usize>q * ns) << 2)) : 0);
      }
      dst += 32;
    }
  }
}

/**
 * A batch of products C_i = clamp(A_i·B_i), one call for the whole batch. Each item's rows are cut in `parts` runs of
 * A panels, and the call computes pieces [i0, i1) of the count·parts (item, run) pieces (a worker's share): a batch of
 * fewer items than shares (three attention heads on two threads) still splits evenly. A_i and B_i are read through
 * element strides (a transposed operand is read in place), at the byte offsets the table `offsets` holds per item:
 * [A_i, B_i, C_i] relative to a, b and c. With bPacked, B_i is already packed (constant weights) and its offset points
 * at the packed matrix. C_i rows are ldc floats apart. `tmp` is the caller's scratch: a 32-float edge tile, then room
 * for one packed A and one packed B.
 */
export function gemm_batched(
  a: usize, b: usize, c: usize, offsets: usize, rsA: i32, ksA: i32, ksB: i32, nsB: i32, ldc: i32, M: i32, N: i32, K: i32,
  bPacked: i32, lo: f32, hi: f32, parts: i32, i0: i32, i1: i32, tmp: usize,
): void {
  const panels = (M + MR - 1) / MR;
  const blocks = (N + NR - 1) / NR;
  const pa = tmp + 128;
  const pb = pa + ((<usize>panels * MR * K) << 2);
  let packedItem = -1;
  for (let piece = i0; piece < i1; piece++) {
    const i = piece / parts;
    const part = piece - i * parts;
    const p0 = part * panels / parts;
    const p1 = (part + 1) * panels / parts;
    if (p0 == p1) continue;
    const at = offsets + <usize>i * 12;
    const ci = c + <usize>load<i32>(at, 8);
    const m0 = p0 * MR;
    const rows = min(M, p1 * MR) - m0;
    if (K == 0) {
      for (let m = m0; m < m0 + rows; m++) for (let n = 0; n < N; n++) store<f32>(ci + ((<usize>m * ldc + n) << 2), min(max(<f32>0, lo), hi));
      continue;
    }
    // This run's panels only, packed from its first row: panel p of the item sits at panel p - p0 of pa.
    pack_a(a + <usize>load<i32>(at) + ((<usize>m0 * rsA) << 2), rsA, ksA, rows, K, pa);
    let bi = b + <usize>load<i32>(at, 4);
    if (!bPacked) {
      if (packedItem != i) pack_b(bi, ksB, nsB, K, N, pb);
      packedItem = i;
      bi = pb;
    }
    const cRun = ci + ((<usize>m0 * ldc) << 2);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      kblock(pa + <usize>(k0 * MR * 4), <usize>(K * MR * 4), bi + (<usize>k0 << 5), <usize>K << 5, 0, kc, cRun, ldc, rows, N, 0, blocks, 0, p1 - p0,
        k0 == 0, k0 + kc >= K, 0, 0, lo, hi, tmp);
    }
  }
}
