import { Heap } from "./heap.js";
import { instantiate, kernelModule, MAX_PAGES, type KernelExports, type KernelVariant, type ParallelKernel } from "./module.js";
import { ThreadPool } from "./thread-pool.js";

export interface KernelOptions {
  /** Threads that run kernels (the calling one included); default 1. */
  threads?: number;
  variant?: KernelVariant | "auto";
}

/** Geometry of a 2-D window (convolution or pooling) on one plane. */
export interface Window2d {
  H: number; W: number; kh: number; kw: number; sh: number; sw: number;
  ph: number; pw: number; dh: number; dw: number; OH: number; OW: number;
}

/** Below this many multiply-adds (~40 µs of work) a call stays on one thread: waking a worker costs more than it saves. */
const PARALLEL_MIN_WORK = 1 << 20;
/** Window kernels (depthwise, pooling) run several times fewer operations per second than GEMMs: weigh them so. */
const WINDOW_COST = 8;

/**
 * The kernel interface operators use: typed wrappers around the AssemblyScript exports that take byte offsets into
 * the shared memory, split big calls across the worker threads, and own the memory allocator. Operator code
 * decides layouts and loops over batches and groups; all SIMD lives behind this class.
 */
export class Kernels {
  readonly memory: WebAssembly.Memory;
  readonly heap: Heap;
  readonly variant: KernelVariant;
  readonly threads: number;
  readonly #k: KernelExports;
  readonly #pool: ThreadPool | undefined;
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  #scratchFloats = 0;
  #scratch: number[] = [];
  #sharedFloats = 0;
  #shared: number | undefined;

  constructor(options: KernelOptions = {}) {
    const { module, variant } = kernelModule(options.variant ?? "auto");
    this.variant = variant;
    this.memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    this.heap = new Heap(this.memory);
    this.#k = instantiate(module, this.memory);
    this.threads = Math.max(1, Math.floor(options.threads ?? 1));
    this.#pool = this.threads > 1 ? new ThreadPool(module, this.memory, this.threads - 1) : undefined;
    // Every call needs some private scratch (GEMM: a 32-float edge tile).
    this.reserveScratch(64);
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }

  /** A Float32Array over `length` floats of kernel memory at byte offset `ptr`. */
  f32(ptr: number, length: number): Float32Array {
    const buffer = this.memory.buffer;
    this.#buffers.add(buffer);
    return new Float32Array(buffer, ptr, length);
  }

  /** Allocate `length` floats (zeroed on first use of fresh memory only: callers overwrite). */
  allocF32(length: number): Float32Array {
    return this.f32(this.heap.alloc(Math.max(1, length) * 4), length);
  }

  free(view: Float32Array): void {
    this.heap.free(view.byteOffset);
  }

  /** Whether a float array lives in kernel memory (every float tensor the engine runs on does). */
  inMemory(view: ArrayBufferView): boolean {
    return this.#buffers.has(view.buffer);
  }

  /** The byte offset of a view on kernel memory. */
  ptr(view: Float32Array): number {
    if (!this.#buffers.has(view.buffer)) throw new Error("internal: float data outside kernel memory");
    return view.byteOffset;
  }

  /**
   * Make sure the one scratch buffer shared by all threads (an operator's staging area, e.g. Winograd's padded
   * input) holds `floats` floats. Operators run one at a time, so they all use the same buffer; read
   * sharedScratch when running, since a later plan may have moved it.
   */
  reserveSharedScratch(floats: number): void {
    if (floats <= this.#sharedFloats) return;
    if (this.#shared !== undefined) this.heap.free(this.#shared);
    this.#sharedFloats = floats;
    this.#shared = this.heap.alloc(floats * 4);
  }

  get sharedScratch(): number {
    if (this.#shared === undefined) throw new Error("internal: no shared scratch reserved");
    return this.#shared;
  }

  /** Make sure every thread has at least `floats` floats of private scratch. */
  reserveScratch(floats: number): void {
    if (floats <= this.#scratchFloats) return;
    for (const p of this.#scratch) this.heap.free(p);
    this.#scratchFloats = floats;
    this.#scratch = Array.from({ length: this.threads }, () => this.heap.alloc(floats * 4));
  }

  convScratchFloats(): number {
    return this.#k.conv2d_scratch_floats();
  }

  windowScratchFloats(g: Window2d): number {
    return this.#k.window_scratch_floats(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW);
  }

  /** Pack X[r][k] = src[r·rs + k·ks] (M×K) into A panels of mr rows: packedASize(M, K) floats at dst. */
  packA(src: number, rs: number, ks: number, M: number, K: number, dst: number): void {
    this.#k.pack_a(src, rs, ks, M, K, dst);
  }

  /** Pack Y[k][n] = src[k·ks + n·ns] (K×N) into B blocks: ceil(N/8)·8·K floats at dst. */
  packB(src: number, ks: number, ns: number, K: number, N: number, dst: number): void {
    this.#k.pack_b(src, ks, ns, K, N, dst);
  }

  /** Rows per packed A panel in this kernel build (4, or 6 with fused multiply-add). */
  get mr(): number {
    return this.#k.gemm_mr();
  }

  /** Floats of a packed A operand; row biases are padded to the same multiple of mr. */
  packedASize(M: number, K: number): number {
    return this.paddedRows(M) * K;
  }

  paddedRows(M: number): number {
    return Math.ceil(M / this.mr) * this.mr;
  }

  static packedBSize(K: number, N: number): number {
    return Math.ceil(N / 8) * 8 * K;
  }

  /** C (M×N, row stride ldc) = clamp(A·B + bias); biasMode 0 none, 1 per row, 2 per column (bias padded). */
  gemm(a: number, b: number, c: number, ldc: number, M: number, N: number, K: number, bias: number, biasMode: number, lo: number, hi: number): void {
    this.#parallel2d("gemm_packed", Math.ceil(N / 8), Math.ceil(M / this.mr), M * N * K, (j0, j1, p0, p1, tid) =>
      [a, b, c, ldc, M, N, K, bias, biasMode, lo, hi, j0, j1, p0, p1, this.#scratch[tid]!]);
  }

  /** One image and group of a convolution: y (M × OH·OW) = clamp(packed W · im2col(x) + bias). */
  conv2d(x: number, C: number, g: Window2d, a: number, M: number, y: number, bias: number, lo: number, hi: number): void {
    const N = g.OH * g.OW;
    this.#parallel2d("conv2d", Math.ceil(N / 8), Math.ceil(M / this.mr), M * N * C * g.kh * g.kw, (j0, j1, p0, p1, tid) =>
      [x, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, a, M, y, bias, lo, hi, j0, j1, p0, p1, this.#scratch[tid]!]);
  }

  /**
   * Tile blocks per round of the Winograd kernel: its transformed tiles (16·(C + M) floats each) fill ~512 KiB, but
   * at least 2 blocks, since every round streams all the transformed weights (16·M·C floats) once.
   */
  winogradChunk(C: number, M: number): number {
    return Math.max(2, Math.min(16, Math.floor((512 * 1024) / (16 * (C + M) * 8 * 4))));
  }

  winogradScratchFloats(C: number, M: number): number {
    return this.#k.wino_scratch_floats(C, M, this.winogradChunk(C, M));
  }

  /**
   * A 3×3 stride-1 convolution of `images` images by Winograd F(2×2, 3×3): x padded into `pad`
   * (images·C·PH·PW floats, see winogradPadFloats), then y (images × M × OH·OW) = clamp(conv + bias) with the 16
   * packed transformed weight operands at u, uStride bytes apart.
   */
  winogradConv(x: number, images: number, C: number, g: Window2d, pad: number, u: number, uStride: number, M: number, y: number, bias: number, lo: number, hi: number): void {
    const TH = Math.ceil(g.OH / 2);
    const TW = Math.ceil(g.OW / 2);
    const PH = 2 * TH + 2;
    const PW = 2 * TW + 2 + 8;
    const planes = images * C;
    this.#parallel("wino_pad", planes, WINDOW_COST * planes * PH * PW, (c0, c1) => [x, g.H, g.W, g.ph, g.pw, PH, PW, pad, c0, c1]);
    const blocks = Math.ceil((images * TH * TW) / 8);
    const chunk = Math.min(this.winogradChunk(C, M), blocks);
    const panels = Math.ceil(M / this.mr);
    const args = (j0: number, j1: number, p0: number, p1: number, tid: number) =>
      [pad, images, C, PH, PW, g.OH, g.OW, u, uStride, M, y, bias, lo, hi, j0, j1, p0, p1, chunk, this.#scratch[tid]!];
    // Every thread working on its own tiles streams all 16·M·C transformed weights; with few tiles, sharing out the
    // output channels (and repeating the cheap input transform) halves that traffic instead.
    const work = 16 * M * C * images * TH * TW;
    if (blocks < 4 * this.threads) this.#parallel("wino_conv", panels, work, (p0, p1, tid) => args(0, blocks, p0, p1, tid));
    else this.#parallel("wino_conv", blocks, work, (j0, j1, tid) => args(j0, j1, 0, panels, tid));
  }

  /** Floats of the padded input winogradConv needs. */
  static winogradPadFloats(images: number, C: number, g: Window2d): number {
    return images * C * (2 * Math.ceil(g.OH / 2) + 2) * (2 * Math.ceil(g.OW / 2) + 10);
  }

  /**
   * Images [0, N) of a convolution (all groups), threads taking whole images. Group weights are packed back to
   * back (aStride bytes apart), their padded biases biasStride bytes apart; C and M are per group.
   */
  conv2dImages(x: number, N: number, groups: number, C: number, g: Window2d, a: number, aStride: number, M: number,
    y: number, bias: number, biasStride: number, lo: number, hi: number): void {
    const inImage = groups * C * g.H * g.W * 4;
    const outImage = groups * M * g.OH * g.OW * 4;
    this.#parallel("conv2d_images", N, N * groups * M * g.OH * g.OW * C * g.kh * g.kw, (n0, n1, tid) =>
      [x, inImage, y, outImage, n0, n1, groups, C, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW,
        a, aStride, M, bias, biasStride, lo, hi, this.#scratch[tid]!]);
  }

  /** Depthwise convolution of images [0, N), threads taking whole images. */
  dwconv2dImages(x: number, N: number, C: number, g: Window2d, mult: number, channels: number, w: number, bias: number, lo: number, hi: number, y: number): void {
    const inImage = C * g.H * g.W * 4;
    const outImage = channels * g.OH * g.OW * 4;
    this.#parallel("dwconv2d_images", N, WINDOW_COST * N * channels * g.OH * g.OW * g.kh * g.kw, (n0, n1, tid) =>
      [x, inImage, y, outImage, n0, n1, channels, g.H, g.W, mult, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW,
        w, bias, lo, hi, this.#scratch[tid]!]);
  }

  /** Depthwise convolution of one image: `channels` output planes, each from input plane o / mult. */
  dwconv2d(x: number, g: Window2d, mult: number, channels: number, w: number, bias: number, lo: number, hi: number, y: number): void {
    this.#parallel("dwconv2d", channels, WINDOW_COST * channels * g.OH * g.OW * g.kh * g.kw, (c0, c1, tid) =>
      [x, g.H, g.W, mult, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, w, bias, lo, hi, y, c0, c1, this.#scratch[tid]!]);
  }

  maxpool2d(x: number, g: Window2d, planes: number, y: number): void {
    this.#parallel("maxpool2d", planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw, (c0, c1, tid) =>
      [x, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, y, c0, c1, this.#scratch[tid]!]);
  }

  avgpool2d(x: number, g: Window2d, planes: number, recip: number, y: number): void {
    this.#parallel("avgpool2d", planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw, (c0, c1, tid) =>
      [x, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.OH, g.OW, recip, y, c0, c1, this.#scratch[tid]!]);
  }

  meanPlanes(x: number, planes: number, size: number, y: number): void {
    this.#k.mean_planes(x, planes, size, y);
  }

  /** y = clamp(a op b) over n floats; b is one value (bStep 0) or n values. op: add sub mul div min max = 0..5. */
  binary(op: number, a: number, b: number, y: number, n: number, bStep: number, lo = -Infinity, hi = Infinity): void {
    // Split in runs of whole vectors.
    this.#parallel("binary", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
      const start = v0 * 4;
      return [op, a + start * 4, bStep ? b + start * 4 : b, y + start * 4, Math.min(n, v1 * 4) - start, bStep, lo, hi];
    });
  }

  clamp(x: number, y: number, n: number, lo: number, hi: number): void {
    this.#parallel("clamp", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
      const start = v0 * 4;
      return [x + start * 4, y + start * 4, Math.min(n, v1 * 4) - start, lo, hi];
    });
  }

  /** y = (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) · scale over n floats. */
  fakeQuant(x: number, y: number, n: number, scale: number, zp: number, qmin: number, qmax: number): void {
    this.#k.fake_quant(x, y, n, scale, zp, qmin, qmax);
  }

  channelAffine(x: number, y: number, planes: number, C: number, size: number, s: number, t: number, lo = -Infinity, hi = Infinity): void {
    this.#k.channel_affine(x, y, planes, C, size, s, t, lo, hi);
  }

  // ---- Integer kernels (quantized operators). Byte tensors live in kernel memory like float ones. ----

  /** A view of `length` bytes (uint8 or int8) or int32s of kernel memory at byte offset `ptr`. */
  view<T extends Uint8Array | Int8Array | Int32Array>(kind: new (b: ArrayBufferLike, o: number, l: number) => T, ptr: number, length: number): T {
    const buffer = this.memory.buffer;
    this.#buffers.add(buffer);
    return new kind(buffer, ptr, length);
  }

  /** The byte offset of any typed view on kernel memory. */
  addr(view: ArrayBufferView): number {
    if (!this.#buffers.has(view.buffer)) throw new Error("internal: data outside kernel memory");
    return view.byteOffset;
  }

  /** Pack int8 weights W[M][K] (at src) into int16 panels for qconv: qpackedBytes(M, K) bytes at dst. */
  qpackA(src: number, M: number, K: number, dst: number): void {
    this.#k.qpack_a(src, M, K, dst);
  }

  static qpackedBytes(M: number, K: number): number {
    return Math.ceil(M / 4) * 4 * (K + (K & 1)) * 2;
  }

  /** Per-thread scratch of qconv for M output channels (per group), with room for a padded copy of a C-channel group when g is given. */
  reserveQconvScratch(M: number, C = 0, g?: Window2d): void {
    const pointwise = !g || (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0);
    const pad = pointwise ? 0 : this.#k.qconv_pad_bytes(C, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW);
    this.reserveScratch(Math.ceil((this.#k.qconv_scratch_bytes(M) + pad) / 4));
  }

  reserveQwindowScratch(g: Window2d, max = false): void {
    const bytes = max ? this.#k.qmaxpool_scratch_bytes(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW)
      : this.#k.qwindow_scratch_bytes(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.OH, g.OW);
    this.reserveScratch(Math.ceil(bytes / 4));
  }

  /**
   * A quantized convolution of N images described by `desc` (see kernels/qcommon.ts): threads take whole images
   * when there are enough, otherwise share each image's output columns (or channel panels).
   */
  qconv(desc: number, x: number, y: number, N: number, groups: number, g: Window2d, C: number, M: number): void {
    const inImage = groups * C * g.H * g.W;
    const plane = g.OH * g.OW;
    const outImage = groups * M * plane;
    const macs = plane * M * C * g.kh * g.kw;
    if (N >= 2 * this.threads || this.threads === 1 || groups > 1) {
      this.#parallel("qconv2d_images", N, N * groups * macs, (n0, n1, tid) => [desc, x, y, n0, n1, this.#scratch[tid]!]);
      return;
    }
    for (let n = 0; n < N; n++) {
      this.#parallel2d("qconv2d", Math.ceil(plane / 8), Math.ceil(M / 4), macs, (j0, j1, p0, p1, tid) =>
        [desc, 0, x + n * inImage, y + n * outImage, j0, j1, p0, p1, this.#scratch[tid]!]);
    }
  }

  /** Blocks of 8 tiles per round of the integer Winograd kernel: its transformed inputs (16·C·16 bytes a block) fill ~256 KiB. */
  qwinoChunk(C: number): number {
    return Math.max(1, Math.min(16, Math.floor((256 * 1024) / (256 * (C + (C & 1))))));
  }

  /** Reserve what the integer Winograd kernel needs: per-thread scratch, and the shared padded input of one image. */
  reserveQwinograd(C: number, g: Window2d, N: number): void {
    const pad = this.#k.qwino_pad_bytes(C, g.OH, g.OW);
    const work = this.#k.qwino_scratch_bytes(C, this.qwinoChunk(C));
    // Threads taking whole images pad them into their own scratch.
    this.reserveScratch(Math.ceil((this.#qwinoByImages(N) ? Math.ceil(pad / 64) * 64 + work : work) / 4));
    this.reserveSharedScratch(Math.ceil(pad / 4));
  }

  #qwinoByImages(N: number): boolean {
    return this.threads > 1 && N >= 2 * this.threads;
  }

  /** A 3×3 stride-1 quantized convolution of N images by exact integer Winograd F(2×2, 3×3) (see kernels/qwinograd.ts). */
  qwinograd(desc: number, x: number, y: number, N: number, C: number, M: number, g: Window2d): void {
    const C2 = C + (C & 1);
    const blocks = Math.ceil((Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2)) / 8);
    const chunk = this.qwinoChunk(C);
    const panels = Math.ceil(M / 4);
    const pad = this.sharedScratch;
    const macs = 16 * M * C * blocks * 8;
    if (this.#qwinoByImages(N)) {
      this.#parallel("qwino_images", N, N * macs, (n0, n1, tid) => [desc, x, y, n0, n1, chunk, this.#scratch[tid]!]);
      return;
    }
    for (let n = 0; n < N; n++) {
      this.#parallel("qwino_pad", C2, WINDOW_COST * C2 * g.H * g.W, (c0, c1) => [desc, x + n * C * g.H * g.W, pad, c0, c1]);
      const yn = y + n * M * g.OH * g.OW;
      // Few blocks: share out the channel panels instead, so each thread streams only its part of the weights.
      if (blocks < 4 * this.threads) {
        this.#parallel("qwino", panels, macs, (p0, p1, tid) => [desc, pad, yn, 0, blocks, p0, p1, chunk, this.#scratch[tid]!]);
      } else {
        this.#parallel("qwino", blocks, macs, (j0, j1, tid) => [desc, pad, yn, j0, j1, 0, panels, chunk, this.#scratch[tid]!]);
      }
    }
  }

  /** A quantized depthwise convolution of N images: threads take images, or channels of one image. */
  qdwconv(desc: number, x: number, y: number, N: number, g: Window2d, C: number, M: number): void {
    const work = WINDOW_COST * M * g.OH * g.OW * g.kh * g.kw;
    if (N >= 2 * this.threads || this.threads === 1) {
      this.#parallel("qdwconv2d_images", N, N * work, (n0, n1, tid) => [desc, x, y, n0, n1, this.#scratch[tid]!]);
      return;
    }
    for (let n = 0; n < N; n++) {
      this.#parallel("qdwconv2d", M, work, (c0, c1, tid) => [desc, x + n * C * g.H * g.W, y + n * M * g.OH * g.OW, c0, c1, this.#scratch[tid]!]);
    }
  }

  qmaxpool(x: number, g: Window2d, planes: number, signed: boolean, y: number): void {
    this.#parallel("qmaxpool2d", planes, WINDOW_COST * planes * g.OH * g.OW * g.kh * g.kw, (c0, c1, tid) =>
      [x, g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW, signed ? 1 : 0, y, c0, c1, this.#scratch[tid]!]);
  }

  /** y[p] = Σ of byte plane p (exact, int32). */
  qsumPlanes(x: number, planes: number, size: number, signed: boolean, y: number): void {
    this.#k.qsum_planes(x, planes, size, signed ? 1 : 0, y);
  }

  /** Quantized Add (op 0) or Mul (op 2), float32 steps as in the Q/DQ reference; b is one value (bStep 0) or n. */
  qbinary(op: number, a: number, b: number, y: number, n: number, bStep: number, sa: number, za: number, sb: number, zb: number,
    sy: number, zy: number, qlo: number, qhi: number, flags: number): void {
    this.#parallel("qbinary", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
      const s = v0 * 4;
      return [op, a + s, bStep ? b + s : b, y + s, Math.min(n, v1 * 4) - s, bStep, sa, za, sb, zb, sy, zy, qlo, qhi, flags];
    });
  }

  /** y[i] = table[x[i]] over n bytes (a 256-byte table; signed inputs index by x + 128). */
  qlut(x: number, y: number, n: number, table: number, signed: boolean): void {
    this.#parallel("qlut", n, WINDOW_COST * n, (i0, i1) => [x + i0, y + i0, i1 - i0, table, signed ? 1 : 0]);
  }

  /** QuantizeLinear (per tensor) from float32 to bytes. */
  qquantize(x: number, y: number, n: number, s: number, zp: number, qmin: number, qmax: number, signed: boolean): void {
    this.#parallel("qquantize", Math.ceil(n / 4), WINDOW_COST * n, (v0, v1) => {
      const st = v0 * 4;
      return [x + st * 4, y + st, Math.min(n, v1 * 4) - st, s, zp, qmin, qmax, signed ? 1 : 0];
    });
  }

  /** DequantizeLinear (per tensor) from bytes to float32. */
  qdequantize(x: number, y: number, n: number, s: number, zp: number, signed: boolean): void {
    this.#k.qdequantize(x, y, n, s, zp, signed ? 1 : 0);
  }

  /** Split [0, total) over the threads when the call is big enough, run the shares, wait for all of them. */
  #parallel(fn: ParallelKernel, total: number, work: number, args: (lo: number, hi: number, tid: number) => number[]): void {
    const fns = this.#k as unknown as Record<string, (...a: number[]) => void>;
    const call = fns[fn]!;
    const threads = this.#pool && work >= PARALLEL_MIN_WORK ? Math.min(this.threads, total) : 1;
    if (threads <= 1) {
      call(...args(0, total, 0));
      return;
    }
    const bounds = (t: number) => Math.round((total * t) / threads);
    const shares: (number[] | undefined)[] = [];
    for (let t = 1; t < this.threads; t++) shares[t] = t < threads ? args(bounds(t), bounds(t + 1), t) : undefined;
    this.#pool!.run(fn, shares, () => call(...args(0, bounds(1), 0)));
  }

  /**
   * A GEMM-shaped call split over column blocks, or over row panels when the columns divide unevenly (a 7×7 output
   * has 7 blocks of 8 pixels: 4 + 3 between two threads, where 64 panels split 32 + 32).
   */
  #parallel2d(fn: ParallelKernel, blocks: number, panels: number, work: number,
    args: (j0: number, j1: number, p0: number, p1: number, tid: number) => number[]): void {
    const t = this.threads;
    const imbalance = (n: number) => Math.ceil(n / t) * t / n;
    // Splitting panels makes every thread pack the same B columns, so it is only worth it against a clear imbalance.
    const byPanels = t > 1 && panels >= 2 * t && imbalance(blocks) > 1.1 && imbalance(panels) < imbalance(blocks);
    if (byPanels) this.#parallel(fn, panels, work, (p0, p1, tid) => args(0, blocks, p0, p1, tid));
    else this.#parallel(fn, blocks, work, (j0, j1, tid) => args(j0, j1, 0, panels, tid));
  }
}
