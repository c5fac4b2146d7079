import type { PrepareContext, ValueMeta } from "../op.js";
import type { Window2d } from "../kernels/geometry.js";
import { windowPads } from "./util.js";

/**
 * A 3-D convolution run as one 2-D convolution per output depth (float and integer alike): the input planes its
 * kernel's depth taps read are stacked as channels, channel c's taps side by side, so the weights [M, C/group, KD, KH,
 * KW] are already the 2-D layout [M, C/group·KD, KH, KW]. Stacking copies C·KD planes per output depth, against
 * C·KD·KH·KW multiply-adds per output element.
 */
export interface DepthStacking {
  N: number;
  C: number;
  D: number;
  M: number;
  group: number;
  KD: number;
  OD: number;
  /** The depth axis's stride, dilation and leading padding. */
  sd: number;
  dd: number;
  pd: number;
  /** The 2-D convolution each output depth runs. */
  g: Window2d;
  /** Channels of the stacked input: C·KD. */
  stacked: number;
}

export function depthStacking(x: ValueMeta, w: ValueMeta, ctx: PrepareContext): DepthStacking {
  if (w.dims.length !== 5) ctx.fail(`weights have rank ${w.dims.length}, input rank 5`);
  const node = ctx.node;
  const kernel = node.intsAttribute("kernel_shape") ?? w.dims.slice(2);
  const strides = node.intsAttribute("strides") ?? [1, 1, 1];
  const dilations = node.intsAttribute("dilations") ?? [1, 1, 1];
  const group = node.intAttribute("group", 1);
  const [N, C, D, H, W] = x.dims as [number, number, number, number, number];
  const M = w.dims[0]!;
  if (w.dims[1]! * group !== C) ctx.fail(`input has ${C} channels, weights expect ${w.dims[1]! * group} (${w.dims[1]} × group ${group})`);
  if (M % group !== 0) ctx.fail(`${M} output channels do not split into ${group} groups`);
  const { pads, out } = windowPads(ctx, [D, H, W], kernel, strides, dilations);
  const [KD, KH, KW] = kernel as [number, number, number];
  const [OD, OH, OW] = out as [number, number, number];
  const g: Window2d = { H, W, kh: KH, kw: KW, sh: strides[1]!, sw: strides[2]!, ph: pads[1]!, pw: pads[2]!, dh: dilations[1]!, dw: dilations[2]!, OH, OW };
  return { N, C, D, M, group, KD, OD, sd: strides[0]!, dd: dilations[0]!, pd: pads[0]!, g, stacked: C * KD };
}

type Planes = Float32Array | Uint8Array | Int8Array;

/**
 * Run `conv2d` (stacked planes → M output planes) for every image and output depth: each time the planes the depth
 * taps read are copied into `slices` (a tap in the depth padding reads a plane of `fill`: 0, or the input's zero
 * point), and the M output planes go to their depth of `dst`.
 */
export function runStacked<T extends Planes>(s: DepthStacking, src: T, dst: T, slices: T, depthOut: T, fill: number, conv2d: (slices: T, out: T) => void): void {
  const plane = s.g.H * s.g.W;
  const outPlane = s.g.OH * s.g.OW;
  for (let n = 0; n < s.N; n++) {
    for (let od = 0; od < s.OD; od++) {
      for (let c = 0; c < s.C; c++) {
        for (let kd = 0; kd < s.KD; kd++) {
          const d = od * s.sd + kd * s.dd - s.pd;
          const at = (c * s.KD + kd) * plane;
          if (d < 0 || d >= s.D) slices.fill(fill, at, at + plane);
          else slices.set(src.subarray(((n * s.C + c) * s.D + d) * plane, ((n * s.C + c) * s.D + d + 1) * plane), at);
        }
      }
      conv2d(slices, depthOut);
      for (let m = 0; m < s.M; m++) dst.set(depthOut.subarray(m * outPlane, (m + 1) * outPlane), ((n * s.M + m) * s.OD + od) * outPlane);
    }
  }
}
