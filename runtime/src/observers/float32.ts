/**
 * Float32 arithmetic as PyTorch's CPU kernels do it. torch keeps observer state in float32 tensors and rounds after
 * every elementwise op, so reproducing its qparams bit for bit means rounding (Math.fround) at the same points, and,
 * for reductions and linspace, following the same order of operations as its vectorized CPU kernels.
 */
export const fround = Math.fround;

/** torch.finfo(torch.float32).eps, the default `eps`. */
export const FLOAT32_EPS = 2 ** -23;

/**
 * How the torch build that made the reference results ran its CPU kernels: float lanes per vector (AVX-512: 16),
 * intra-op threads (parallel_for splits a linspace longer than 32768 between them), and whether the compiler fused
 * `base + k * step` in linspace into one multiply-add. Only the last-bit rounding of sums and linspace depends on it.
 * The reference histograms pin it down: they match bin for bin with 16 lanes and fused multiply-adds, and not with
 * 8 lanes or unfused arithmetic (one or two threads give the same bins there).
 */
export interface TorchCpu {
  lanes: number;
  threads: number;
  fma: boolean;
}

export const TORCH_CPU: TorchCpu = { lanes: 16, threads: 2, fma: true };

/** at::internal::GRAIN_SIZE: ranges up to this length are never split between threads. */
const GRAIN_SIZE = 32768;

/** Round half to even, for numbers of any size (Math.round rounds half up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends exact halves up; ties to odd results go back down.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** torch.div(a, b, rounding_mode="floor") on float32 values: Python's floor division, computed in float32. */
export function floorDivF32(a: number, b: number): number {
  if (b === 0) return fround(a / b);
  const mod = a % b;
  let div = fround(fround(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = fround(div - 1);
  if (div === 0) return Math.sign(a / b) < 0 || Object.is(a / b, -0) ? -0 : 0;
  let floored = Math.floor(div);
  if (fround(div - floored) > 0.5) floored = fround(floored + 1);
  return floored;
}

/**
 * torch.sum of a contiguous float32 vector (torch's cascade_sum): lanes accumulate vectors in a 4-way interleave
 * with multi-level partial sums, the partials are folded, the scalar tail is added to zero, then each lane.
 */
export function torchSumF32(x: Float32Array, lanes = TORCH_CPU.lanes): number {
  const n = x.length;
  const nvec = Math.floor(n / lanes);
  const acc = new Float64Array(lanes); // holds float32 values only
  if (nvec > 0) {
    const ilp = 4;
    const sizeIlp = Math.floor(nvec / ilp);
    const levels = 4;
    const levelPower = Math.max(4, Math.floor(ceilLog2(sizeIlp) / levels));
    const levelStep = 1 << levelPower;
    const levelMask = levelStep - 1;
    // acc[level][row][lane]
    const a = new Float64Array(levels * ilp * lanes);
    const at = (lv: number, row: number, lane: number) => (lv * ilp + row) * lanes + lane;
    let i = 0;
    while (i + levelStep <= sizeIlp) {
      for (let j = 0; j < levelStep; j++, i++) {
        for (let k = 0; k < ilp; k++) {
          const base = (i * ilp + k) * lanes;
          for (let l = 0; l < lanes; l++) a[at(0, k, l)] = fround(a[at(0, k, l)]! + x[base + l]!);
        }
      }
      for (let j = 1; j < levels; j++) {
        for (let k = 0; k < ilp; k++) {
          for (let l = 0; l < lanes; l++) {
            a[at(j, k, l)] = fround(a[at(j, k, l)]! + a[at(j - 1, k, l)]!);
            a[at(j - 1, k, l)] = 0;
          }
        }
        if ((i & (levelMask << (j * levelPower))) !== 0) break;
      }
    }
    for (; i < sizeIlp; i++) {
      for (let k = 0; k < ilp; k++) {
        const base = (i * ilp + k) * lanes;
        for (let l = 0; l < lanes; l++) a[at(0, k, l)] = fround(a[at(0, k, l)]! + x[base + l]!);
      }
    }
    for (let j = 1; j < levels; j++) {
      for (let k = 0; k < ilp; k++) {
        for (let l = 0; l < lanes; l++) a[at(0, k, l)] = fround(a[at(0, k, l)]! + a[at(j, k, l)]!);
      }
    }
    // row_sum: leftover vectors go into row 0, then rows 1..3 fold into row 0.
    for (let v = sizeIlp * ilp; v < nvec; v++) {
      for (let l = 0; l < lanes; l++) a[at(0, 0, l)] = fround(a[at(0, 0, l)]! + x[v * lanes + l]!);
    }
    for (let k = 1; k < ilp; k++) {
      for (let l = 0; l < lanes; l++) a[at(0, 0, l)] = fround(a[at(0, 0, l)]! + a[at(0, k, l)]!);
    }
    for (let l = 0; l < lanes; l++) acc[l] = a[at(0, 0, l)]!;
  }
  let total = 0;
  for (let k = nvec * lanes; k < n; k++) total = fround(total + x[k]!);
  for (let l = 0; l < lanes; l++) total = fround(total + acc[l]!);
  return total;
}

function ceilLog2(x: number): number {
  if (x <= 2) return 1;
  return Math.ceil(Math.log2(x));
}

/**
 * a * b + c rounded once to float32 (a fused multiply-add), for float32 inputs. The product is exact in a double;
 * the sum is rounded to double and then to float32, which only double-rounds when the double sum lands exactly on a
 * float32 halfway point: the sign of the sum's rounding error settles those.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  // Exact error of s = p + c (Knuth's two-sum).
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  if (err === 0) return r;
  const other = r > s ? nextF32Down(r) : nextF32Up(r);
  const mid = (r + other) / 2;
  if (mid !== s) return r;
  // s sits exactly halfway: the true value is on the side of err.
  return (err > 0) === (other > r) ? other : r;
}

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);
function nextF32Up(x: number): number {
  f32Buf[0] = x;
  if (x >= 0) u32Buf[0] = u32Buf[0]! + 1;
  else u32Buf[0] = u32Buf[0]! - 1;
  return f32Buf[0]!;
}
function nextF32Down(x: number): number {
  f32Buf[0] = x;
  if (x > 0) u32Buf[0] = u32Buf[0]! - 1;
  else if (x === 0) u32Buf[0] = 0x80000001;
  else u32Buf[0] = u32Buf[0]! + 1;
  return f32Buf[0]!;
}

/**
 * torch.linspace(start, end, steps) into a float32 tensor. The first half counts up from start and the second half
 * down from end; the range is split between threads as parallel_for does, and within each thread's part the values
 * come in pairs of vectors whose lanes add k * step to the vector's first value (Vectorized::arange), with a scalar
 * tail. All of that changes last bits, which matter where a value meets a bin edge.
 */
export function linspaceF32(start: number, end: number, steps: number, out: Float32Array, cpu: TorchCpu = TORCH_CPU): Float32Array {
  const s = fround(start);
  const e = fround(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const madd = cpu.fma ? fmaF32 : (a: number, b: number, c: number) => fround(c + fround(a * b));
  const step = fround(fround(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const lanes = cpu.lanes;
  const value = (idx: number) => (idx < halfway ? madd(step, idx, s) : madd(-step, steps - idx - 1, e));
  const tasks = steps > GRAIN_SIZE && cpu.threads > 1 ? Math.min(cpu.threads, Math.ceil(steps / GRAIN_SIZE)) : 1;
  const chunk = Math.ceil(steps / tasks);
  for (let begin = 0; begin < steps; begin += chunk) {
    const stop = Math.min(steps, begin + chunk);
    const n = stop - begin;
    const vecStop = begin + (n - (n % (2 * lanes)));
    let idx = begin;
    for (; idx < vecStop; idx += lanes) {
      const base = value(idx);
      out[idx] = base;
      for (let l = 1; l < lanes; l++) out[idx + l] = madd(l, step, base);
    }
    for (; idx < stop; idx++) out[idx] = value(idx);
  }
  return out;
}
