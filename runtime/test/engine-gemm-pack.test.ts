import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { kernelModule, type KernelVariant } from "../src/engine/kernels/module.js";

/** Deterministic values in [-1, 1) that differ in every element, so a misplaced one shows. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The strides of an R × C matrix stored row-major (as it reads) or transposed (column-major), inside a wider buffer. */
function layout(R: number, C: number, transposed: boolean, pad: number): { rowStride: number; colStride: number; floats: number } {
  return transposed
    ? { rowStride: 1, colStride: R + pad, floats: C * (R + pad) }
    : { rowStride: C + pad, colStride: 1, floats: R * (C + pad) };
}

const variants: KernelVariant[] = ["simd", ...(kernelModule("auto").variant === "relaxed" ? ["relaxed" as const] : [])];

// Shapes that cover whole and partial A panels (M mod 4), whole and partial B blocks (N mod 8) and K's remainder
// past the 4×4 transposes (K mod 4), each operand stored row-major, transposed, or read with a padded row stride.
for (const variant of variants) {
  test(`GEMM packs A and B from every layout (contiguous rows, contiguous columns, padded) exactly (${variant} build)`, () => {
    const k = new Kernels({ variant });
    for (const [M, K, N] of [[8, 12, 16], [7, 13, 19], [5, 3, 9], [1, 1, 1], [12, 36, 40], [4, 4, 8], [13, 65, 23], [1, 37, 19], [1, 64, 24]] as const) {
      for (const aT of [false, true]) for (const bT of [false, true]) for (const pad of [0, 3]) {
        const la = layout(M, K, aT, pad);
        const lb = layout(K, N, bT, pad);
        const aData = k.allocF32(la.floats);
        const bData = k.allocF32(lb.floats);
        aData.set(values(la.floats, M * 131 + K));
        bData.set(values(lb.floats, N * 137 + K));
        const pa = k.gemm.createA(M, K, (n) => k.allocF32(n));
        const pb = k.gemm.createB(K, N, (n) => k.allocF32(n));
        k.gemm.packA(pa, { data: aData, rowStride: la.rowStride, colStride: la.colStride });
        k.gemm.packB(pb, { data: bData, rowStride: lb.rowStride, colStride: lb.colStride });
        const y = k.allocF32(M * N);
        k.gemm.run(pa, pb, { y });
        for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
          let s = 0;
          for (let kk = 0; kk < K; kk++) s += aData[m * la.rowStride + kk * la.colStride]! * bData[kk * lb.rowStride + n * lb.colStride]!;
          const got = y[m * N + n]!;
          assert.ok(Math.abs(got - s) <= 1e-5 * Math.max(1, Math.abs(s)),
            `M ${M} K ${K} N ${N}, A ${aT ? "transposed" : "rows"}, B ${bT ? "transposed" : "rows"}, pad ${pad}: y[${m}][${n}] = ${got}, expected ${s}`);
        }
      }
    }
  });
}

for (const variant of variants) {
  test(`a one-row GEMM (matrix × vector) adds its bias per column or per row and clamps (${variant} build)`, () => {
    const k = new Kernels({ variant });
    for (const [K, N] of [[37, 19], [64, 24], [1, 3], [300, 1000]] as const) {
      for (const per of ["cols", "rows"] as const) {
        const aData = k.allocF32(K);
        const bData = k.allocF32(K * N);
        aData.set(values(K, K));
        bData.set(values(K * N, N));
        const biasValues = values(per === "cols" ? N : 1, 7);
        const pa = k.gemm.createA(1, K, (n) => k.allocF32(n));
        const pb = k.gemm.createB(K, N, (n) => k.allocF32(n));
        k.gemm.packA(pa, { data: aData, rowStride: K, colStride: 1 });
        k.gemm.packB(pb, { data: bData, rowStride: N, colStride: 1 });
        const bias = k.gemm.bias(per, biasValues, per === "cols" ? N : 1, 1, (n) => k.allocF32(n));
        const y = k.allocF32(N + 1);
        y[N] = 12345;
        k.gemm.run(pa, pb, { y }, bias, { lo: -0.5, hi: 0.75 });
        for (let n = 0; n < N; n++) {
          let s = biasValues[per === "cols" ? n : 0]!;
          for (let kk = 0; kk < K; kk++) s += aData[kk]! * bData[kk * N + n]!;
          const want = Math.min(Math.max(s, -0.5), 0.75);
          assert.ok(Math.abs(y[n]! - want) <= 1e-5 * Math.max(1, Math.abs(s)), `K ${K} N ${N}, bias per ${per}: y[${n}] = ${y[n]}, expected ${want}`);
        }
        assert.equal(y[N], 12345, `K ${K} N ${N}: nothing is written past the row`);
      }
    }
  });
}
