import type { ExportTable } from "./exports.js";
import type { ConvShape, Window2d } from "./geometry.js";
import { describe, describeGeometry, packStage, type Bytes, type PackedQconv, type Requantization } from "./qconv.js";
import { QD } from "./generated/descriptors.js";
import type { Allocate, KernelRuntime } from "./runtime.js";
import { WINDOW_COST } from "./cost.js";

/** kernels/qwinograd.ts */
export const QWINOGRAD_EXPORTS = {
  qwino_pad_bytes: { params: ["C", "OH", "OW"] },
  qwino_scratch_bytes: { params: ["C", "chunk"] },
  qwino_pad: { params: ["d", "x", "pad", "c0", "c1"], parallel: true },
  qwino: { params: ["d", "pad", "y", "j0", "j1", "p0", "p1", "chunk", "scratch"], parallel: true },
  qwino_images: { params: ["d", "x", "y", "n0", "n1", "chunk", "scratch"], parallel: true },
  qwino_groups: { params: ["table", "groups", "x", "y", "i0", "i1", "chunk", "scratch"], parallel: true },
} as const satisfies ExportTable;

/** G' = 2G of Winograd F(2×2, 3×3): integer, so U' = G' g G'ᵀ = 4·G g Gᵀ is exact. */
const G2 = [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]];
/** Largest |x − zx| of byte activations, and the largest |Bᵀ d B| it gives. */
const V_MAX = 4 * 255;
/** Output channels per packed panel. */
const PANEL = 4;

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

/** A grouped convolution's per-group packs, and the table of their descriptors' addresses the kernel reads. */
export interface PackedGroups {
  readonly packs: readonly PackedQconv[];
  readonly table: Int32Array;
}

/** Exact integer Winograd F(2×2, 3×3) for quantized 3×3 stride-1 convolutions (see kernels/qwinograd.ts). */
export class QwinogradKernels {
  constructor(private readonly rt: KernelRuntime) {}

  /**
   * Integer Winograd applies to 3×3 stride-1 convolutions with enough channels (per group) to amortize the
   * transforms; a grouped one runs group by group (see runGroups), which pays its per-call padding and transforms
   * back only from about 10×10 outputs (RegNet's 16-channel groups: 0.7–0.85× im2col's time at 14×14 and more,
   * none at 7×7).
   */
  applies(g: Window2d, groups: number, C: number, M: number): boolean {
    return g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 &&
      C >= 16 && M >= 16 && g.OH * g.OW >= (groups > 1 ? 100 : 16);
  }

  /**
   * Each group's weights packed on their own (W: groups × M × C × 3 × 3, M and C per group); undefined when some
   * group's sums could leave int32 (then the convolution takes the im2col path).
   */
  packGroups(w: Int8Array, channels: { groups: number; M: number; C: number }, rq: Requantization, alloc: Allocate): PackedGroups | undefined {
    const { groups, M, C } = channels;
    const packs: PackedQconv[] = [];
    for (let gi = 0; gi < groups; gi++) {
      const part = (a: Float32Array | Int32Array) => a.subarray(gi * M, (gi + 1) * M);
      const packed = this.pack(w.subarray(gi * M * C * 9, (gi + 1) * M * C * 9), { M, C },
        { ...rq, mult: part(rq.mult) as Float32Array, biasAcc: part(rq.biasAcc) as Int32Array, off: part(rq.off) as Float32Array }, alloc);
      if (!packed) return undefined;
      packs.push(packed);
    }
    const table = this.rt.view(Int32Array, alloc(groups).byteOffset, groups);
    packs.forEach((p, gi) => { table[gi] = this.rt.ptr(p.desc); });
    return { packs, table };
  }

  /**
   * The transformed weights packed as qconv's A operands (4-row panels, channel pairs), the per-channel bias (the
   * kernel subtracts zx from the input, so no zero-point term) and requantization arrays, and the descriptor; or
   * undefined when some output channel's sums could leave int32, where the convolution takes the im2col path.
   */
  pack(w: Int8Array, channels: { M: number; C: number }, rq: Requantization, alloc: Allocate): PackedQconv | undefined {
    const rt = this.rt;
    const { M, C } = channels;
    const u = transformWeights(w, M, C);
    for (let m = 0; m < M; m++) {
      let bound = 0;
      for (const ux of u) for (let c = 0; c < C; c++) bound += Math.abs(ux[m * C + c]!);
      if (bound * V_MAX + Math.abs(rq.biasAcc[m]!) * 4 >= 2 ** 31) return undefined;
    }
    const C2 = C + (C & 1);
    const panels = Math.ceil(M / PANEL);
    const aStride = panels * PANEL * C2 * 2;
    const bytes = (n: number) => alloc(Math.ceil(n / 4)).byteOffset;
    const a = bytes(16 * aStride);
    const packed = rt.view(Int16Array, a, 8 * aStride);
    packed.fill(0);
    u.forEach((ux, xi) => {
      const base = (xi * aStride) / 2;
      for (let p = 0; p < panels; p++) for (let pair = 0; pair < C2 / 2; pair++) for (let r = 0; r < PANEL; r++) {
        const m = p * PANEL + r;
        if (m >= M) continue;
        const at = base + ((p * (C2 / 2) + pair) * PANEL + r) * 2;
        packed[at] = ux[m * C + 2 * pair]!;
        packed[at + 1] = 2 * pair + 1 < C ? ux[m * C + 2 * pair + 1]! : 0;
      }
    });
    const bias = bytes(M * 4);
    const mult = bytes(M * 4);
    const off = bytes(M * 4);
    rt.view(Int32Array, bias, M).set(rq.biasAcc);
    rt.f32(mult, M).set(rq.mult);
    rt.f32(off, M).set(rq.off);
    const desc = rt.view(Int32Array, bytes(QD.SIZE * 4), QD.SIZE);
    describe(desc, rq, { groups: 1, M, a, aStride, bias, pStride: 0, mult, off, stage: packStage(rt, rq, alloc) });
    return { groups: 1, M, K: 9 * C, depthwise: false, signedInput: rq.signedInput, signedOutput: rq.signedOutput, desc };
  }

  /** Blocks of 8 tiles per round: its transformed inputs (16·C·16 bytes a block) fill ~256 KiB. */
  #chunk(C: number): number {
    return Math.max(1, Math.min(16, Math.floor((256 * 1024) / (256 * (C + (C & 1))))));
  }

  #byImages(N: number): boolean {
    return this.rt.threads > 1 && N >= 2 * this.rt.threads;
  }

  /** Per-thread scratch, and the shared padded input of one image. */
  reserve(s: ConvShape): void {
    const e = this.rt.exports;
    const pad = e.qwino_pad_bytes(s.C, s.g.OH, s.g.OW);
    const work = e.qwino_scratch_bytes(s.C, this.#chunk(s.C));
    // Threads taking whole images pad them into their own scratch.
    this.rt.reserveScratch(Math.ceil((this.#byImages(s.N) ? Math.ceil(pad / 64) * 64 + work : work) / 4));
    this.rt.reserveSharedScratch(Math.ceil(pad / 4));
  }

  run(packed: PackedQconv, x: Bytes, y: Bytes, s: ConvShape): void {
    this.rt.count("qwinograd");
    this.#run(packed, x, y, s);
  }

  /** Per-thread scratch of runGroups: each share pads its (image, group) items into its own. */
  reserveGroups(s: ConvShape): void {
    const e = this.rt.exports;
    const pad = e.qwino_pad_bytes(s.C, s.g.OH, s.g.OW);
    this.rt.reserveScratch(Math.ceil((Math.ceil(pad / 64) * 64 + e.qwino_scratch_bytes(s.C, this.#chunk(s.C))) / 4));
  }

  /**
   * A grouped convolution (s: C and M per group; packs from packGroups) in one call over its (image, group) items,
   * which threads share by whole items: a group's GEMMs are too small to split.
   */
  runGroups(grouped: PackedGroups, x: Bytes, y: Bytes, s: ConvShape): void {
    const rt = this.rt;
    rt.count("qwinograd");
    const { N, groups, C, M, g } = s;
    for (let gi = 0; gi < grouped.packs.length; gi++) describeGeometry(grouped.packs[gi]!.desc, C, g);
    const table = rt.ptr(grouped.table);
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const chunk = this.#chunk(C);
    const items = N * groups;
    const macs = 16 * M * C * Math.ceil((Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2)) / 8) * 8;
    if (rt.serialFor("qwino_groups", 2, items * macs)) {
      rt.exports.qwino_groups(table, groups, xp, yp, 0, items, chunk, rt.scratch(0));
      return;
    }
    rt.parallel("qwino_groups", items, items * macs, (i0, i1, tid) => [table, groups, xp, yp, i0, i1, chunk, rt.scratch(tid)]);
  }

  #run(packed: PackedQconv, x: Bytes, y: Bytes, s: ConvShape): void {
    const rt = this.rt;
    const { N, C, M, g } = s;
    describeGeometry(packed.desc, C, g);
    const desc = rt.ptr(packed.desc);
    const xp = rt.ptr(x);
    const yp = rt.ptr(y);
    const C2 = C + (C & 1);
    const blocks = Math.ceil((Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2)) / 8);
    const chunk = this.#chunk(C);
    const panels = Math.ceil(M / PANEL);
    const pad = rt.sharedScratch;
    const macs = 16 * M * C * blocks * 8;
    if (this.#byImages(N)) {
      rt.parallel("qwino_images", N, N * macs, (n0, n1, tid) => [desc, xp, yp, n0, n1, chunk, rt.scratch(tid)]);
      return;
    }
    for (let n = 0; n < N; n++) {
      const xn = xp + n * C * g.H * g.W;
      const padWork = WINDOW_COST * C2 * g.H * g.W;
      if (rt.serialFor("qwino_pad", C2, padWork)) rt.exports.qwino_pad(desc, xn, pad, 0, C2);
      else rt.parallel("qwino_pad", C2, padWork, (c0, c1) => [desc, xn, pad, c0, c1]);
      const yn = yp + n * M * g.OH * g.OW;
      // On one thread: a direct call, no closure and argument list per run.
      if (rt.serialFor("qwino", 2, macs)) {
        rt.exports.qwino(desc, pad, yn, 0, blocks, 0, panels, chunk, rt.scratch(0));
        continue;
      }
      // Few blocks: share out the channel panels instead, so each thread streams only its part of the weights.
      if (blocks < 4 * rt.threads) {
        rt.parallel("qwino", panels, macs, (p0, p1, tid) => [desc, pad, yn, 0, blocks, p0, p1, chunk, rt.scratch(tid)]);
      } else {
        rt.parallel("qwino", blocks, macs, (j0, j1, tid) => [desc, pad, yn, j0, j1, 0, panels, chunk, rt.scratch(tid)]);
      }
    }
  }
}
