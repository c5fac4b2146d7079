import type { ExportTable } from "./exports.js";
import type { GemmBias, GemmKernels, PackedA, PackedB } from "./gemm.js";
import type { Allocate, KernelRuntime } from "./runtime.js";

/** kernels/recurrent.ts */
export const RECURRENT_EXPORTS = {
  lstm_step: { params: ["xw", "xwRow", "hr", "hrRow", "c", "h", "p", "y", "yRow", "B", "H", "t", "lens", "clip", "inputForget",
    "f", "fa", "fb", "g", "ga", "gb", "hc", "ha", "hb"] },
  gru_reset: { params: ["xw", "xwRow", "hr", "hrRow", "h", "rh", "B", "H", "clip", "f", "fa", "fb"] },
  gru_step: { params: ["xw", "xwRow", "hr", "hrRow", "hh", "hhRow", "h", "y", "yRow", "B", "H", "t", "lens", "clip",
    "linearBeforeReset", "f", "fa", "fb", "g", "ga", "gb"] },
  rnn_step: { params: ["xw", "xwRow", "hr", "hrRow", "h", "y", "yRow", "B", "H", "t", "lens", "clip", "f", "fa", "fb"] },
  rows_gemm: { params: ["a", "lda", "M", "K", "b", "N", "bias", "c", "ldc"] },
  recurrent_act: { params: ["code", "x", "y", "n", "alpha", "beta"] },
} as const satisfies ExportTable;

/** The ONNX recurrent activations by lower-case name: the kernel's code, how many of alpha/beta it takes, defaults. */
export const ACTIVATIONS: Readonly<Record<string, { code: number; alphas: number; betas: number; alpha: number; beta: number }>> = {
  sigmoid: { code: 0, alphas: 0, betas: 0, alpha: 0, beta: 0 },
  tanh: { code: 1, alphas: 0, betas: 0, alpha: 0, beta: 0 },
  relu: { code: 2, alphas: 0, betas: 0, alpha: 0, beta: 0 },
  affine: { code: 3, alphas: 1, betas: 1, alpha: 1, beta: 0 },
  leakyrelu: { code: 4, alphas: 1, betas: 0, alpha: 0.01, beta: 0 },
  thresholdedrelu: { code: 5, alphas: 1, betas: 0, alpha: 1, beta: 0 },
  scaledtanh: { code: 6, alphas: 1, betas: 1, alpha: 1, beta: 1 },
  hardsigmoid: { code: 7, alphas: 1, betas: 1, alpha: 0.2, beta: 0.5 },
  elu: { code: 8, alphas: 1, betas: 0, alpha: 1, beta: 0 },
  softsign: { code: 9, alphas: 0, betas: 0, alpha: 0, beta: 0 },
  softplus: { code: 10, alphas: 0, betas: 0, alpha: 0, beta: 0 },
};

export type RecurrentCell = "LSTM" | "GRU" | "RNN";

/** Gates per cell, in ONNX order: LSTM i, o, f, c; GRU z, r, h; RNN one. */
export const GATES: Readonly<Record<RecurrentCell, number>> = { LSTM: 4, GRU: 3, RNN: 1 };

export interface Activation {
  code: number;
  alpha: number;
  beta: number;
}

/** One recurrent operator's geometry: T steps of B rows of I inputs, H units, D directions, ONNX layout 0 or 1. */
export interface RecurrentShape {
  cell: RecurrentCell;
  T: number;
  B: number;
  I: number;
  H: number;
  D: number;
  layout: 0 | 1;
  /** Gate pre-activations are clipped to [-clip, clip]; Infinity when the node has no clip. */
  clip: number;
  inputForget: boolean;
  linearBeforeReset: boolean;
}

/** One direction's weights, packed for the GEMM kernel with every gate padded to whole vectors. */
export interface PackedDirection {
  readonly reverse: boolean;
  readonly acts: readonly Activation[];
  /** Wᵀ (I × G·Hp) and its bias (Wb, and Rb where it simply adds). */
  readonly w: PackedB;
  readonly wBias: GemmBias;
  /** Rᵀ (Hp × gates·Hp): all gates, or GRU's z and r when its reset applies before the linear map. */
  readonly r: PackedB;
  readonly rBias: GemmBias | undefined;
  /** GRU's Rhᵀ (Hp × Hp) when linear_before_reset is 0. */
  readonly rh: PackedB | undefined;
  /** Peepholes i, o, f (LSTM), Hp apart. */
  readonly p: Float32Array | undefined;
}

/** The per-plan buffers one recurrent operator runs in. */
export interface RecurrentWorkspace {
  /** X packed for the GEMM kernel (a projection split over the threads), or X staged when it is outside kernel memory. */
  readonly x: PackedA;
  readonly xIn: Float32Array;
  /** The state packed for the GEMM kernel, when the batch is large enough for it (else rows_gemm reads it as is). */
  readonly state: PackedA | undefined;
  readonly rhA: PackedA | undefined;
  readonly xw: Float32Array;
  readonly hr: Float32Array;
  readonly hh: Float32Array;
  readonly rh: Float32Array;
  readonly h: Float32Array;
  readonly c: Float32Array;
  readonly lens: Float32Array;
}

/** What one run reads and writes: X, optional sequence lengths and initial state, the optional outputs. */
export interface RecurrentIo {
  x: Float32Array;
  lens: ArrayLike<number | bigint> | undefined;
  h0: Float32Array | undefined;
  c0: Float32Array | undefined;
  y: Float32Array | undefined;
  yh: Float32Array | undefined;
  yc: Float32Array | undefined;
}

function padded(H: number): number {
  return Math.ceil(H / 4) * 4;
}

/** From this many batch rows on, the recurrent projection runs on the GEMM kernel's 4-row panels. */
const GEMM_ROWS = 8;

/** How much bigger than other kernels' calls an input projection must be to be split over the threads. */
const PROJECTION_SPLIT_HANDICAP = 4;

/** Row stride of rows_gemm's output: whole 8-column blocks. */
function blocks8(N: number): number {
  return Math.ceil(N / 8) * 8;
}

/** Row b of direction d of a [D, B, H] (layout 0) or [B, D, H] (layout 1) state tensor, as a float offset. */
function stateRow(s: RecurrentShape, d: number, b: number): number {
  return (s.layout === 0 ? d * s.B + b : b * s.D + d) * s.H;
}

/** n floats from src at `from` to dst at `to` (subarray would allocate a view per run). */
function copyRow(src: Float32Array, from: number, dst: Float32Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

/**
 * LSTM, GRU and RNN: the input projection X·Wᵀ of every step in one GEMM, then per step the recurrent projection
 * H·Rᵀ (a few rows against the packed Rᵀ, rows_gemm) and the gate math, one kernel call each.
 */
export class RecurrentKernels {
  constructor(private readonly rt: KernelRuntime, private readonly gemm: GemmKernels) {}

  /** Room for one direction's packed weights. */
  createDirection(s: RecurrentShape, acts: readonly Activation[], reverse: boolean, peepholes: boolean, alloc: Allocate): PackedDirection {
    const { H, I, cell } = s;
    const G = GATES[cell];
    const Hp = padded(H);
    const gruSplit = cell === "GRU" && !s.linearBeforeReset;
    const colBias = (n: number): GemmBias => ({ per: "cols", data: alloc(Math.ceil(n / 8) * 8).fill(0) });
    return {
      reverse,
      acts,
      w: this.gemm.createB(I, G * Hp, alloc),
      wBias: colBias(G * Hp),
      r: this.gemm.createB(Hp, (gruSplit ? 2 : G) * Hp, alloc),
      rBias: cell === "GRU" && s.linearBeforeReset ? colBias(G * Hp) : undefined,
      rh: gruSplit ? this.gemm.createB(Hp, Hp, alloc) : undefined,
      p: peepholes ? alloc(3 * Hp).fill(0) : undefined,
    };
  }

  /**
   * Pack direction d of W [D, G·H, I], R [D, G·H, H], B [D, 2·G·H] and P [D, 3·H] (ONNX layouts; B and P optional)
   * into `dst`, every gate padded to whole vectors.
   */
  pack(dst: PackedDirection, s: RecurrentShape, d: number, W: Float32Array, R: Float32Array, B: Float32Array | undefined,
    P: Float32Array | undefined): void {
    const { H, I, cell } = s;
    const G = GATES[cell];
    const Hp = padded(H);
    // A gate-padded copy of `gates` gates of a [G·H, K] block, its rows K padded to Kp.
    const padRows = (src: Float32Array, offset: number, gates: number, firstGate: number, K: number, Kp: number) => {
      const out = new Float32Array(gates * Hp * Kp);
      for (let g = 0; g < gates; g++) for (let j = 0; j < H; j++) {
        const from = offset + ((firstGate + g) * H + j) * K;
        out.set(src.subarray(from, from + K), (g * Hp + j) * Kp);
      }
      return out;
    };
    this.gemm.packB(dst.w, { data: padRows(W, d * G * H * I, G, 0, I, I), rowStride: 1, colStride: I });
    const rGates = dst.rh ? 2 : G;
    this.gemm.packB(dst.r, { data: padRows(R, d * G * H * H, rGates, 0, H, Hp), rowStride: 1, colStride: Hp });
    if (dst.rh) this.gemm.packB(dst.rh, { data: padRows(R, d * G * H * H, 1, 2, H, Hp), rowStride: 1, colStride: Hp });
    // Wb + Rb, except GRU's Rbh with linear_before_reset, which sits inside r ⊙ (h·Rhᵀ + Rbh).
    const wb = dst.wBias.data;
    wb.fill(0);
    dst.rBias?.data.fill(0);
    if (B) {
      for (let g = 0; g < G; g++) for (let j = 0; j < H; j++) {
        const wv = B[d * 2 * G * H + g * H + j]!;
        const rv = B[d * 2 * G * H + (G + g) * H + j]!;
        if (dst.rBias && g === 2) {
          wb[g * Hp + j] = wv;
          dst.rBias.data[g * Hp + j] = rv;
        } else {
          wb[g * Hp + j] = wv + rv;
        }
      }
    }
    if (dst.p && P) for (let g = 0; g < 3; g++) for (let j = 0; j < H; j++) dst.p[g * Hp + j] = P[d * 3 * H + g * H + j]!;
  }

  createWorkspace(s: RecurrentShape, alloc: Allocate): RecurrentWorkspace {
    const { T, B, I, H, cell } = s;
    const G = GATES[cell];
    const Hp = padded(H);
    const big = B >= GEMM_ROWS;
    return {
      x: this.gemm.createA(T * B, I, alloc),
      xIn: alloc(T * B * I),
      state: big ? this.gemm.createA(B, Hp, alloc) : undefined,
      rhA: big && cell === "GRU" && !s.linearBeforeReset ? this.gemm.createA(B, Hp, alloc) : undefined,
      xw: alloc(T * B * blocks8(G * Hp)),
      hr: alloc(B * blocks8(G * Hp)),
      hh: alloc(B * blocks8(Hp)),
      rh: alloc(B * Hp),
      h: alloc(B * Hp),
      c: alloc(B * Hp),
      lens: alloc(B),
    };
  }

  /** Run every direction over the whole sequence. */
  run(s: RecurrentShape, dirs: readonly PackedDirection[], ws: RecurrentWorkspace, io: RecurrentIo): void {
    const { T, B, I, H, D, layout } = s;
    const rt = this.rt;
    const e = rt.exports;
    const Hp = padded(H);
    const N = GATES[s.cell] * Hp;
    // xw rows hold whole 8-column blocks: rows_gemm writes them so.
    const Nx = blocks8(N);
    const rows = T * B;
    // The input projection: rows_gemm reads X in place (no packing); only a projection big enough to beat that on
    // several threads goes to the GEMM kernel, which shares it out. rows_gemm runs ~1.3× the GEMM kernel's speed on
    // one thread and the recurrence after it is serial anyway, hence 4× the runtime's threshold (lstm_kws's 3.2 M
    // multiply-adds ran slower on two threads than on one).
    const serial = rt.serial(rows, (rows * I * N) / PROJECTION_SPLIT_HANDICAP);
    let xPtr = 0;
    if (serial) {
      if (!rt.inMemory(io.x)) ws.xIn.set(io.x);
      xPtr = rt.ptr(rt.inMemory(io.x) ? io.x : ws.xIn);
    } else {
      this.gemm.packA(ws.x, { data: io.x, rowStride: I, colStride: 1 });
    }
    let lensPtr = 0;
    if (io.lens) {
      for (let b = 0; b < B; b++) ws.lens[b] = Number(io.lens[b]!);
      lensPtr = rt.ptr(ws.lens);
    }
    const xwBase = rt.ptr(ws.xw);
    const hrPtr = rt.ptr(ws.hr);
    const hPtr = rt.ptr(ws.h);
    const cPtr = rt.ptr(ws.c);
    const rhPtr = rt.ptr(ws.rh);
    const hhPtr = rt.ptr(ws.hh);
    const yPtr = io.y ? rt.ptr(io.y) : 0;
    const clip = s.clip;
    const xwRow = layout === 0 ? Nx : T * Nx;
    const yRow = layout === 0 ? H : T * D * H;
    for (let d = 0; d < D; d++) {
      const dir = dirs[d]!;
      if (serial) e.rows_gemm(xPtr, I, rows, I, rt.ptr(dir.w.data), N, rt.ptr(dir.wBias.data), xwBase, Nx);
      else this.gemm.run(ws.x, dir.w, { y: ws.xw, ldc: Nx }, dir.wBias);
      ws.h.fill(0);
      ws.c.fill(0);
      for (let b = 0; b < B; b++) {
        const row = stateRow(s, d, b);
        if (io.h0) copyRow(io.h0, row, ws.h, b * Hp, H);
        if (io.c0) copyRow(io.c0, row, ws.c, b * Hp, H);
      }
      const f = dir.acts[0]!;
      const g = dir.acts[1] ?? f;
      const h = dir.acts[2] ?? f;
      const pPtr = dir.p ? rt.ptr(dir.p) : 0;
      const rPtr = rt.ptr(dir.r.data);
      const rN = dir.r.N;
      const hrRow = blocks8(rN);
      const rBiasPtr = dir.rBias ? rt.ptr(dir.rBias.data) : 0;
      for (let step = 0; step < T; step++) {
        const t = dir.reverse ? T - 1 - step : step;
        const xw = xwBase + (layout === 0 ? t * B * Nx : t * Nx) * 4;
        const y = yPtr === 0 ? 0 : yPtr + (layout === 0 ? (t * D + d) * B * H : (t * D + d) * H) * 4;
        if (ws.state) {
          this.gemm.packA(ws.state, { data: ws.h, rowStride: Hp, colStride: 1 });
          this.gemm.run(ws.state, dir.r, { y: ws.hr, ldc: hrRow }, dir.rBias);
        } else {
          e.rows_gemm(hPtr, Hp, B, Hp, rPtr, rN, rBiasPtr, hrPtr, hrRow);
        }
        if (s.cell === "LSTM") {
          e.lstm_step(xw, xwRow, hrPtr, hrRow, cPtr, hPtr, pPtr, y, yRow, B, H, t, lensPtr, clip, s.inputForget ? 1 : 0,
            f.code, f.alpha, f.beta, g.code, g.alpha, g.beta, h.code, h.alpha, h.beta);
        } else if (s.cell === "GRU") {
          if (s.linearBeforeReset) {
            e.gru_step(xw, xwRow, hrPtr, hrRow, hrPtr + 2 * Hp * 4, hrRow, hPtr, y, yRow, B, H, t, lensPtr, clip, 1,
              f.code, f.alpha, f.beta, g.code, g.alpha, g.beta);
          } else {
            e.gru_reset(xw, xwRow, hrPtr, hrRow, hPtr, rhPtr, B, H, clip, f.code, f.alpha, f.beta);
            if (ws.rhA) {
              this.gemm.packA(ws.rhA, { data: ws.rh, rowStride: Hp, colStride: 1 });
              this.gemm.run(ws.rhA, dir.rh!, { y: ws.hh, ldc: blocks8(Hp) });
            } else {
              e.rows_gemm(rhPtr, Hp, B, Hp, rt.ptr(dir.rh!.data), Hp, 0, hhPtr, blocks8(Hp));
            }
            e.gru_step(xw, xwRow, hrPtr, hrRow, hhPtr, blocks8(Hp), hPtr, y, yRow, B, H, t, lensPtr, clip, 0,
              f.code, f.alpha, f.beta, g.code, g.alpha, g.beta);
          }
        } else {
          e.rnn_step(xw, xwRow, hrPtr, hrRow, hPtr, y, yRow, B, H, t, lensPtr, clip, f.code, f.alpha, f.beta);
        }
      }
      for (let b = 0; b < B; b++) {
        const row = stateRow(s, d, b);
        if (io.yh) copyRow(ws.h, b * Hp, io.yh, row, H);
        if (io.yc) copyRow(ws.c, b * Hp, io.yc, row, H);
      }
    }
  }

  /** y = act(x) over n floats (a multiple of 4), both in kernel memory: the activations alone, for tests. */
  activation(act: Activation, x: Float32Array, y: Float32Array, n: number): void {
    this.rt.exports.recurrent_act(act.code, this.rt.ptr(x), this.rt.ptr(y), n, act.alpha, act.beta);
  }
}
