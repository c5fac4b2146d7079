import type { OpDef, PrepareContext, Prepared, RtValue, ValueMeta } from "../op.js";
import type { Window2d } from "../kernels/geometry.js";
import { requireFloat32, requireInput, sizeOf, windowPads } from "./util.js";
import { maxPoolWithIndices } from "./max-unpool.js";
import { isOtherNumeric, otherTypeMaxPool } from "./other-dtypes.js";

export interface PoolGeometry {
  planes: number;
  g: Window2d;
  outDims: number[];
  pads: number[];
}

export function poolGeometry(x: ValueMeta, ctx: PrepareContext, dilated: boolean): PoolGeometry {
  const rank = x.dims.length;
  if (rank !== 3 && rank !== 4) ctx.unsupported(`on a rank-${rank} input (1-D, 2-D and 3-D pooling only)`);
  const spatial = rank - 2;
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape");
  if (!kernel || kernel.length !== spatial) ctx.fail(`kernel_shape must have ${spatial} values`);
  const strides = node.intsAttribute("strides") ?? new Array<number>(spatial).fill(1);
  const dilations = node.intsAttribute("dilations") ?? new Array<number>(spatial).fill(1);
  if (!dilated && dilations.some((d) => d !== 1)) ctx.unsupported("with dilations");
  const ceil = node.intAttribute("ceil_mode", 0) !== 0;
  const input = x.dims.slice(2);
  const { pads, out } = windowPads(ctx, input, kernel, strides, dilations, ceil);
  const two = (v: number[], one: number) => (spatial === 1 ? [one, v[0]!] : v);
  const [H, W] = two(input, 1);
  const [kh, kw] = two(kernel, 1);
  const [sh, sw] = two(strides, 1);
  const [dh, dw] = two(dilations, 1);
  const [OH, OW] = two(out, 1);
  const full = spatial === 1 ? [0, pads[0]!, 0, pads[1]!] : pads;
  return {
    planes: x.dims[0]! * x.dims[1]!,
    g: { H: H!, W: W!, kh: kh!, kw: kw!, sh: sh!, sw: sw!, ph: full[0]!, pw: full[1]!, dh: dh!, dw: dw!, OH: OH!, OW: OW! },
    outDims: [x.dims[0]!, x.dims[1]!, ...out],
    pads: full,
  };
}

/**
 * A 3-D pooling as a 2-D one: each output depth's window along the depth axis is reduced first (max, or mean over the
 * positions its divisor counts), giving one plane per (sample, channel, output depth), which the 2-D kernels then pool
 * over height and width. Both reductions commute with the window's split into depth and plane.
 */
interface DepthPool {
  /** The 2-D pooling over all N·C·OD depth-reduced planes. */
  planes: number;
  g: Window2d;
  outDims: number[];
  /** Pads of the height and width axes (begin, begin, end, end), for the divisor counts. */
  pads: number[];
  /** Reduces the input's depth windows into `into` (N·C·OD planes of H·W). */
  reduceDepth(src: Float32Array, into: Float32Array, max: boolean, includePad: boolean): void;
  planeSize: number;
}

function depthPool(x: ValueMeta, ctx: PrepareContext, dilated: boolean): DepthPool {
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape");
  if (!kernel || kernel.length !== 3) ctx.fail("kernel_shape must have 3 values");
  const strides = node.intsAttribute("strides") ?? [1, 1, 1];
  const dilations = node.intsAttribute("dilations") ?? [1, 1, 1];
  if (!dilated && dilations.some((d) => d !== 1)) ctx.unsupported("with dilations");
  const ceil = node.intAttribute("ceil_mode", 0) !== 0;
  const [N, C, D, H, W] = x.dims as [number, number, number, number, number];
  const { pads, out } = windowPads(ctx, [D, H, W], kernel, strides, dilations, ceil);
  const [OD, OH, OW] = out as [number, number, number];
  const plane = H * W;
  // The divisor's count along the depth axis, per output depth (AveragePool only): once per plan, not per run.
  const depthCounts = [false, true].map((includePad) => counts(OD, D, kernel[0]!, strides[0]!, pads[0]!, pads[3]!, includePad));
  return {
    planes: N * C * OD,
    g: { H, W, kh: kernel[1]!, kw: kernel[2]!, sh: strides[1]!, sw: strides[2]!, ph: pads[1]!, pw: pads[2]!, dh: dilations[1]!, dw: dilations[2]!, OH, OW },
    outDims: [N, C, OD, OH, OW],
    pads: [pads[1]!, pads[2]!, pads[4]!, pads[5]!],
    planeSize: plane,
    reduceDepth(src, into, max, includePad) {
      const divisors = depthCounts[includePad ? 1 : 0]!;
      for (let nc = 0; nc < N * C; nc++) {
        for (let od = 0; od < OD; od++) {
          const at = (nc * OD + od) * plane;
          into.fill(max ? -Infinity : 0, at, at + plane);
          for (let kd = 0; kd < kernel[0]!; kd++) {
            const d = od * strides[0]! + kd * dilations[0]! - pads[0]!;
            if (d < 0 || d >= D) continue;
            const from = (nc * D + d) * plane;
            if (max) for (let i = 0; i < plane; i++) into[at + i] = Math.max(into[at + i]!, src[from + i]!);
            else for (let i = 0; i < plane; i++) into[at + i] += src[from + i]!;
          }
          if (!max) {
            const scale = 1 / divisors[od]!;
            for (let i = 0; i < plane; i++) into[at + i] *= scale;
          }
        }
      }
    },
  };
}

const maxPool: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    if (isOtherNumeric(x.dtype)) return otherTypeMaxPoolOf(x, ctx);
    requireFloat32(x, "input", ctx);
    if (ctx.node.outputNames.length > 1 && ctx.node.outputNames[1]) return maxPoolWithIndices(x, ctx);
    const k = ctx.k;
    if (x.dims.length === 5) {
      const depth = depthPool(x, ctx, true);
      const reduced = ctx.persistentF32(depth.planes * depth.planeSize);
      k.window.reserve(depth.g);
      return {
        outputs: [{ dtype: "float32", dims: depth.outDims }],
        run(ins, outs) {
          depth.reduceDepth(ins[0]!.data as Float32Array, reduced, true, false);
          k.window.maxpool(reduced, outs[0]!.data as Float32Array, { planes: depth.planes, g: depth.g });
        },
      };
    }
    const { planes, g, outDims } = poolGeometry(x, ctx, true);
    k.window.reserve(g);
    return {
      outputs: [{ dtype: "float32", dims: outDims }],
      run(ins, outs) {
        k.window.maxpool(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, { planes, g });
      },
    };
  },
};

/** Window positions counted by the divisor, along one axis, for each output position. */
function counts(out: number, size: number, kernel: number, stride: number, padBegin: number, padEnd: number, includePad: boolean): number[] {
  const lo = includePad ? -padBegin : 0;
  const hi = includePad ? size + padEnd : size;
  return Array.from({ length: out }, (_, o) => {
    const start = o * stride - padBegin;
    return Math.max(0, Math.min(start + kernel, hi) - Math.max(start, lo));
  });
}

const averagePool: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    const depth = x.dims.length === 5 ? depthPool(x, ctx, false) : undefined;
    const { planes, g, outDims, pads } = depth ?? poolGeometry(x, ctx, false);
    const include = ctx.node.intAttribute("count_include_pad", 0) !== 0;
    const rows = counts(g.OH, g.H, g.kh, g.sh, pads[0]!, pads[2]!, include);
    const cols = counts(g.OW, g.W, g.kw, g.sw, pads[1]!, pads[3]!, include);
    const k = ctx.k;
    const recip = ctx.once(`recip:${x.dims.join(",")}`, () => {
      const r = ctx.persistentF32(k.window.reciprocalsSize(g));
      for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) r[oy * g.OW + ox] = 1 / (rows[oy]! * cols[ox]!);
      return r;
    });
    k.window.reserve(g);
    const reduced = depth ? ctx.persistentF32(depth.planes * depth.planeSize) : undefined;
    return {
      outputs: [{ dtype: "float32", dims: outDims }],
      run(ins, outs) {
        let src = ins[0]!.data as Float32Array;
        if (depth) {
          depth.reduceDepth(src, reduced!, false, include);
          src = reduced!;
        }
        k.window.avgpool(src, outs[0]!.data as Float32Array, { planes, g }, recip);
      },
    };
  },
};

const globalAveragePool: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    if (x.dims.length < 3) ctx.fail(`input must have rank ≥ 3, got [${x.dims.join(", ")}]`);
    const planes = x.dims[0]! * x.dims[1]!;
    const size = sizeOf(x.dims.slice(2));
    const k = ctx.k;
    return {
      outputs: [{ dtype: "float32", dims: [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)] }],
      run(ins, outs) {
        k.window.meanPlanes(ins[0]!.data as Float32Array, outs[0]!.data as Float32Array, planes, size);
      },
    };
  },
};

const globalMaxPool: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    requireFloat32(x, "input", ctx);
    const planes = x.dims[0]! * x.dims[1]!;
    const size = sizeOf(x.dims.slice(2));
    return {
      outputs: [{ dtype: "float32", dims: [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)] }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data as Float32Array;
        const dst = outs[0]!.data as Float32Array;
        for (let p = 0; p < planes; p++) {
          let m = -Infinity;
          for (let i = 0; i < size; i++) m = Math.max(m, src[p * size + i]!);
          dst[p] = m;
        }
      },
    };
  },
};

export const poolOps: Record<string, OpDef> = {
  MaxPool: maxPool, AveragePool: averagePool, GlobalAveragePool: globalAveragePool, GlobalMaxPool: globalMaxPool,
};

/** MaxPool on float64 or an integer type (QOperator models pool uint8 and int8), any number of spatial axes. */
function otherTypeMaxPoolOf(x: ValueMeta, ctx: PrepareContext): Prepared {
  if (ctx.node.outputNames.length > 1 && ctx.node.outputNames[1]) ctx.unsupported(`with an Indices output on ${x.dtype} (float32 only)`);
  // Bytes over 1-D and 2-D windows: the int8 kernel that pools a quantized model's codes (QMaxPool) is this max.
  if ((x.dtype === "uint8" || x.dtype === "int8") && (x.dims.length === 3 || x.dims.length === 4)) {
    const { planes, g, outDims } = poolGeometry(x, ctx, true);
    const k = ctx.k;
    k.qwindow.reserve(g, true);
    return {
      outputs: [{ dtype: x.dtype, dims: outDims }],
      runtimeInputs: [0],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        k.qwindow.maxpool(ins[0]!.data as Uint8Array, outs[0]!.data as Uint8Array, planes, g, x.dtype === "int8");
      },
    };
  }
  const spatial = x.dims.length - 2;
  if (spatial < 1) ctx.fail(`the input must have at least 3 axes, got [${x.dims.join(", ")}]`);
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape");
  if (!kernel || kernel.length !== spatial) ctx.fail(`kernel_shape must have ${spatial} values`);
  const strides = node.intsAttribute("strides") ?? new Array<number>(spatial).fill(1);
  const dilations = node.intsAttribute("dilations") ?? new Array<number>(spatial).fill(1);
  const { pads, out } = windowPads(ctx, x.dims.slice(2), kernel, strides, dilations, node.intAttribute("ceil_mode", 0) !== 0);
  return otherTypeMaxPool(x, out, kernel, strides, dilations, pads.slice(0, spatial), ctx);
}
