/** Geometry of a 2-D window (convolution or pooling) on one plane. */
export interface Window2d {
  H: number; W: number; kh: number; kw: number; sh: number; sw: number;
  ph: number; pw: number; dh: number; dw: number; OH: number; OW: number;
}

/** A convolution's shape: N images of `groups` groups, C input and M output channels per group. */
export interface ConvShape {
  N: number;
  groups: number;
  C: number;
  M: number;
  g: Window2d;
}

/** Whether a window is a plain 1×1, stride-1, unpadded one (a pointwise convolution). */
export function pointwise(g: Window2d): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}
