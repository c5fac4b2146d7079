/**
 * What the integer operators can take, where the checker's coverage and lower() must agree: the checker says "runs
 * in int8" exactly when lower() will lower the node.
 */

type Dim = number | string;

const elements = (shape: readonly Dim[]) => shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : NaN), 1);

/**
 * Why QAdd/QMul cannot take inputs of these shapes, or undefined when they can: equal shapes, or one side a single
 * value. (Broadcasting a per-channel tensor, as squeeze-and-excite does, is not an integer kernel yet.)
 */
export function binaryShapeProblem(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): string | undefined {
  const same = !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);
  if (same || (a && elements(a) === 1) || (b && elements(b) === 1)) return undefined;
  const show = (s: readonly Dim[] | undefined) => (s ? `[${s.join(", ")}]` : "an unknown shape");
  return `its inputs have different shapes (${show(a)} and ${show(b)}), and the integer operator takes equal shapes or a single value; it runs in float32 between a dequantize and a quantize (give both inputs the same shape, e.g. with an explicit Expand, to run it in int8)`;
}
