import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { integerRange } from "../../onnx/data-type.js";
import { broadcastDims, reader, requireInput, sizeOf, stridesOf, windowPads, writer } from "./util.js";
import { roundHalfEven } from "./math.js";

/**
 * The integer operators of ONNX's quantized operator format (MatMulInteger, ConvInteger, QLinearMatMul,
 * QLinearConv) and DynamicQuantizeLinear, as exact reference loops: accumulations are integers (int32), and the
 * requantization of the QLinear ops multiplies in float32 and rounds half to even, as ONNX Runtime does.
 */

/** Zero point as one value, or one per index along the axis (per-row for A, per-column for B, per-channel for W). */
function zeroPoint(value: RtValue | undefined): (i: number) => number {
  if (!value) return () => 0;
  const r = reader(value.data);
  return value.data.length === 1 ? () => r(0) : r;
}

interface MatMulShape {
  M: number; K: number; N: number; outDims: number[]; aOff: number[]; bOff: number[];
}

function matmulShape(a: ValueMeta, b: ValueMeta, ctx: PrepareContext): MatMulShape {
  const aDims = a.dims.length === 1 ? [1, a.dims[0]!] : a.dims;
  const bDims = b.dims.length === 1 ? [b.dims[0]!, 1] : b.dims;
  const M = aDims[aDims.length - 2]!;
  const K = aDims[aDims.length - 1]!;
  const N = bDims[bDims.length - 1]!;
  if (bDims[bDims.length - 2] !== K) ctx.fail(`shapes [${a.dims.join(", ")}] and [${b.dims.join(", ")}] do not multiply`);
  const batch = broadcastDims(aDims.slice(0, -2), bDims.slice(0, -2), ctx);
  const count = sizeOf(batch);
  const st = stridesOf(batch);
  const offsets = (dims: number[], size: number) => {
    const own = stridesOf(dims);
    const pad = batch.length - dims.length;
    return Array.from({ length: count }, (_, i) => {
      let off = 0;
      for (let d = 0; d < batch.length; d++) {
        const idx = Math.floor(i / st[d]!) % batch[d]!;
        if (d >= pad && dims[d - pad] !== 1) off += idx * own[d - pad]!;
      }
      return off * size;
    });
  };
  return {
    M, K, N,
    outDims: [...batch, ...(a.dims.length === 1 ? [] : [M]), ...(b.dims.length === 1 ? [] : [N])],
    aOff: offsets(aDims.slice(0, -2), M * K),
    bOff: offsets(bDims.slice(0, -2), K * N),
  };
}

/** 8-bit (or other numeric) tensor data as numbers. */
function numbers(value: RtValue): ArrayLike<number> {
  const data = value.data;
  return data instanceof BigInt64Array || data instanceof BigUint64Array ? Array.from(data, Number) : (data as ArrayLike<number>);
}

/**
 * Σ_k (a[m,k] - azp) · (b[k,n] - bzp) for every batch, row and column; `emit` receives the integer sums. B is taken
 * once per batch offset, zero points subtracted and transposed, so the inner loop is a dot product of two Int32Arrays.
 */
function integerMatMul(s: MatMulShape, a: RtValue, b: RtValue, azp: (m: number) => number, bzp: (n: number) => number, emit: (i: number, acc: number, n: number) => void): void {
  const A = numbers(a);
  const B = numbers(b);
  const { M, K, N } = s;
  const row = new Int32Array(K);
  const columns = new Int32Array(N * K);
  let packedFrom = -1;
  s.aOff.forEach((ao, batch) => {
    const bo = s.bOff[batch]!;
    if (bo !== packedFrom) {
      for (let n = 0; n < N; n++) {
        const z = bzp(n);
        for (let k = 0; k < K; k++) columns[n * K + k] = B[bo + k * N + n]! - z;
      }
      packedFrom = bo;
    }
    for (let m = 0; m < M; m++) {
      const z = azp(m);
      for (let k = 0; k < K; k++) row[k] = A[ao + m * K + k]! - z;
      for (let n = 0; n < N; n++) {
        let acc = 0;
        const c = n * K;
        for (let k = 0; k < K; k++) acc += row[k]! * columns[c + k]!;
        emit((batch * s.M + m) * s.N + n, acc, n);
      }
    }
  });
}

const matMulInteger: OpDef = {
  prepare(inputs, ctx) {
    const a = requireInput(inputs[0], 0, ctx);
    const b = requireInput(inputs[1], 1, ctx);
    const s = matmulShape(a, b, ctx);
    return {
      outputs: [{ dtype: "int32", dims: s.outDims }],
      run(ins, outs) {
        const out = outs[0]!.data as Int32Array;
        integerMatMul(s, ins[0]!, ins[1]!, zeroPoint(ins[2]), zeroPoint(ins[3]), (i, acc) => (out[i] = acc));
      },
    };
  },
};

/** round_half_even(v) + zp, saturated to the output type. */
function requantizer(dtype: "int8" | "uint8" | string): (v: number, zp: number) => number {
  const { min, max } = integerRange(dtype as "int8") ?? { min: -128, max: 127 };
  return (v, zp) => Math.min(max, Math.max(min, roundHalfEven(Math.fround(v)) + zp));
}

const qlinearMatMul: OpDef = {
  prepare(inputs, ctx) {
    const a = requireInput(inputs[0], 0, ctx);
    const b = requireInput(inputs[3], 3, ctx);
    const yzp = requireInput(inputs[7], 7, ctx);
    const s = matmulShape(a, b, ctx);
    const quant = requantizer(yzp.dtype);
    return {
      outputs: [{ dtype: yzp.dtype, dims: s.outDims }],
      run(ins, outs) {
        const as = zeroPoint(ins[1]);
        const bs = zeroPoint(ins[4]);
        const ys = reader(ins[6]!.data)(0);
        const yz = reader(ins[7]!.data)(0);
        const w = writer(outs[0]!.data);
        integerMatMul(s, ins[0]!, ins[3]!, zeroPoint(ins[2]), zeroPoint(ins[5]), (i, acc, n) =>
          w(i, quant(acc * Math.fround(Math.fround(as(0) * bs(n)) / ys), yz)));
      },
    };
  },
};

interface ConvShape {
  N: number; C: number; M: number; group: number; kernel: number[]; strides: number[]; dilations: number[];
  pads: number[]; input: number[]; out: number[];
}

function convShape(x: ValueMeta, w: ValueMeta, ctx: PrepareContext): ConvShape {
  const n = x.dims.length - 2;
  if (n < 1) ctx.fail("the input must be [N, C, ...]");
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape") ?? w.dims.slice(2);
  const strides = node.intsAttribute("strides") ?? new Array<number>(n).fill(1);
  const dilations = node.intsAttribute("dilations") ?? new Array<number>(n).fill(1);
  const input = x.dims.slice(2);
  const { pads, out } = windowPads(ctx, input, kernel, strides, dilations);
  return { N: x.dims[0]!, C: x.dims[1]!, M: w.dims[0]!, group: node.intAttribute("group", 1), kernel, strides, dilations, pads, input, out };
}

/**
 * Integer N-d convolution; `emit` receives (output index, Σ (x - xzp)(w - wzp), output channel). Each batch and group
 * is unfolded once (im2col, padding reading as the zero point), so every output channel is a sum of rows.
 */
function integerConv(s: ConvShape, x: RtValue, w: RtValue, xzp: number, wzp: (m: number) => number, emit: (i: number, acc: number, m: number) => void): void {
  const X = numbers(x);
  const Wt = numbers(w);
  const Cg = s.C / s.group;
  const Mg = s.M / s.group;
  const dims = s.out.length;
  const inStr = stridesOf(s.input);
  const outStr = stridesOf(s.out);
  const kStr = stridesOf(s.kernel);
  const outSize = sizeOf(s.out);
  const kSize = sizeOf(s.kernel);
  const inSize = sizeOf(s.input);
  // Where output position o reads kernel tap kk, or -1 in the padding.
  const at = new Int32Array(kSize * outSize);
  for (let kk = 0; kk < kSize; kk++) for (let o = 0; o < outSize; o++) {
    let off = 0;
    for (let d = 0; d < dims; d++) {
      const oi = Math.floor(o / outStr[d]!) % s.out[d]!;
      const ki = Math.floor(kk / kStr[d]!) % s.kernel[d]!;
      const ii = oi * s.strides[d]! - s.pads[d]! + ki * s.dilations[d]!;
      if (ii < 0 || ii >= s.input[d]!) { off = -1; break; }
      off += ii * inStr[d]!;
    }
    at[kk * outSize + o] = off;
  }
  const depth = Cg * kSize;
  const columns = new Int32Array(depth * outSize);
  const weights = new Int32Array(depth);
  const acc = new Float64Array(outSize);
  for (let b = 0; b < s.N; b++) for (let g = 0; g < s.group; g++) {
    for (let c = 0; c < Cg; c++) {
      const base = (b * s.C + g * Cg + c) * inSize;
      for (let kk = 0; kk < kSize; kk++) {
        const row = (c * kSize + kk) * outSize;
        const taps = kk * outSize;
        for (let o = 0; o < outSize; o++) {
          const off = at[taps + o]!;
          columns[row + o] = off < 0 ? 0 : X[base + off]! - xzp;
        }
      }
    }
    for (let m = g * Mg; m < (g + 1) * Mg; m++) {
      const z = wzp(m);
      for (let j = 0; j < depth; j++) weights[j] = Wt[m * depth + j]! - z;
      acc.fill(0);
      for (let j = 0; j < depth; j++) {
        const wv = weights[j]!;
        if (wv === 0) continue;
        const row = j * outSize;
        for (let o = 0; o < outSize; o++) acc[o] += wv * columns[row + o]!;
      }
      for (let o = 0; o < outSize; o++) emit((b * s.M + m) * outSize + o, acc[o]!, m);
    }
  }
}

const convInteger: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const w = requireInput(inputs[1], 1, ctx);
    const s = convShape(x, w, ctx);
    return {
      outputs: [{ dtype: "int32", dims: [s.N, s.M, ...s.out] }],
      run(ins, outs) {
        const out = outs[0]!.data as Int32Array;
        integerConv(s, ins[0]!, ins[1]!, zeroPoint(ins[2])(0), zeroPoint(ins[3]), (i, acc) => (out[i] = acc));
      },
    };
  },
};

const qlinearConv: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const w = requireInput(inputs[3], 3, ctx);
    const yzp = requireInput(inputs[7], 7, ctx);
    const s = convShape(x, w, ctx);
    const quant = requantizer(yzp.dtype);
    return {
      outputs: [{ dtype: yzp.dtype, dims: [s.N, s.M, ...s.out] }],
      run(ins, outs) {
        const xs = reader(ins[1]!.data)(0);
        const ws = zeroPoint(ins[4]);
        const ys = reader(ins[6]!.data)(0);
        const yz = reader(ins[7]!.data)(0);
        const bias = ins[8] ? reader(ins[8].data) : () => 0;
        const out = writer(outs[0]!.data);
        integerConv(s, ins[0]!, ins[3]!, zeroPoint(ins[2])(0), zeroPoint(ins[5]), (i, acc, m) =>
          out(i, quant((acc + bias(m)) * Math.fround(Math.fround(xs * ws(m)) / ys), yz)));
      },
    };
  },
};

/** y = saturate(round(x / scale) + zp) with scale and zp from x's range widened to include 0 (uint8). */
const dynamicQuantizeLinear: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const total = sizeOf(x.dims);
    return {
      outputs: [{ dtype: "uint8", dims: x.dims }, { dtype: "float32", dims: [] }, { dtype: "uint8", dims: [] }],
      run(ins, outs) {
        const src = ins[0]!.data as Float32Array;
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < total; i++) { lo = Math.min(lo, src[i]!); hi = Math.max(hi, src[i]!); }
        const scale = Math.fround((hi - lo) / 255);
        const zp = scale === 0 ? 0 : Math.min(255, Math.max(0, roundHalfEven(Math.fround(-lo / scale))));
        const y = outs[0]!.data as Uint8Array;
        for (let i = 0; i < total; i++) y[i] = scale === 0 ? zp : Math.min(255, Math.max(0, roundHalfEven(Math.fround(src[i]! / scale)) + zp));
        (outs[1]!.data as Float32Array)[0] = scale;
        (outs[2]!.data as Uint8Array)[0] = zp;
      },
    };
  },
};

export const integerOps: Record<string, OpDef> = {
  MatMulInteger: matMulInteger, QLinearMatMul: qlinearMatMul, ConvInteger: convInteger, QLinearConv: qlinearConv,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
};
