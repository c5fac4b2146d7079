import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { constNumbers, requireFloat32, requireInput, sizeOf, windowPads } from "./util.js";

/**
 * MaxPool's second output and its inverse. With Indices, MaxPool also says where each maximum came from: its flat
 * position in the input (row-major, or column-major over the spatial axes with storage_order = 1), the first of equal
 * maxima. MaxUnpool puts each value back at such a position in a zero-filled output. Encoder–decoder networks
 * (SegNet) use the pair; the loops run in TypeScript, over any number of spatial axes.
 */
export function maxPoolWithIndices(x: ValueMeta, ctx: PrepareContext): ReturnType<OpDef["prepare"]> {
  const node = ctx.node;
  const spatial = x.dims.length - 2;
  if (spatial < 1) ctx.fail(`input must have at least 3 dimensions, got [${x.dims.join(", ")}]`);
  const kernel = node.intsAttribute("kernel_shape");
  if (!kernel || kernel.length !== spatial) ctx.fail(`kernel_shape must have ${spatial} values`);
  const strides = node.intsAttribute("strides") ?? new Array<number>(spatial).fill(1);
  const dilations = node.intsAttribute("dilations") ?? new Array<number>(spatial).fill(1);
  const ceil = node.intAttribute("ceil_mode", 0) !== 0;
  const columnMajor = node.intAttribute("storage_order", 0) === 1;
  const input = x.dims.slice(2);
  const { pads, out } = windowPads(ctx, input, kernel, strides, dilations, ceil);
  const planes = x.dims[0]! * x.dims[1]!;
  const inPlane = sizeOf(input);
  const outPlane = sizeOf(out);
  const windowSize = sizeOf(kernel);
  // Where each input position's element lies in the Indices numbering, and its offset in memory (row-major).
  const rowStrides = input.map((_, a) => sizeOf(input.slice(a + 1)));
  const indexStrides = columnMajor ? input.map((_, a) => sizeOf(input.slice(0, a))) : rowStrides;
  const outDims = [x.dims[0]!, x.dims[1]!, ...out];
  const position = new Array<number>(spatial).fill(0);
  return {
    outputs: [{ dtype: "float32", dims: outDims }, { dtype: "int64", dims: outDims }],
    run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
      const src = ins[0]!.data as Float32Array;
      const y = outs[0]!.data as Float32Array;
      const indices = outs[1]?.data as BigInt64Array | undefined;
      for (let p = 0; p < planes; p++) {
        for (let o = 0; o < outPlane; o++) {
          let rest = o;
          for (let a = spatial - 1; a >= 0; a--) {
            position[a] = rest % out[a]!;
            rest = Math.floor(rest / out[a]!);
          }
          let best = -Infinity;
          let bestIndex = -1;
          for (let k = 0; k < windowSize; k++) {
            let kr = k;
            let memory = 0;
            let numbered = 0;
            let inside = true;
            for (let a = spatial - 1; a >= 0; a--) {
              const ka = kr % kernel[a]!;
              kr = Math.floor(kr / kernel[a]!);
              const i = position[a]! * strides[a]! + ka * dilations[a]! - pads[a]!;
              if (i < 0 || i >= input[a]!) {
                inside = false;
                break;
              }
              memory += i * rowStrides[a]!;
              numbered += i * indexStrides[a]!;
            }
            if (!inside) continue;
            const v = src[p * inPlane + memory]!;
            if (bestIndex < 0 || v > best) {
              best = v;
              bestIndex = numbered;
            }
          }
          y[p * outPlane + o] = bestIndex < 0 ? 0 : best;
          if (indices) indices[p * outPlane + o] = BigInt(bestIndex < 0 ? 0 : p * inPlane + bestIndex);
        }
      }
    },
  };
}

const maxUnpool: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const indices = requireInput(inputs[1], 1, ctx);
    requireFloat32(x, "X", ctx);
    if (indices.dtype !== "int64") ctx.fail(`I must be int64, got ${indices.dtype}`);
    if (sizeOf(indices.dims) !== sizeOf(x.dims)) ctx.fail(`I [${indices.dims.join(", ")}] must have X's shape [${x.dims.join(", ")}]`);
    const spatial = x.dims.length - 2;
    const node = ctx.node;
    const kernel = node.intsAttribute("kernel_shape");
    if (!kernel || kernel.length !== spatial) ctx.fail(`kernel_shape must have ${spatial} values`);
    const strides = node.intsAttribute("strides") ?? new Array<number>(spatial).fill(1);
    const pads = node.intsAttribute("pads") ?? new Array<number>(2 * spatial).fill(0);
    // The indices number the output's positions: MaxPool's input had that shape (output_shape restores it where
    // an odd size made the inferred one smaller), as PyTorch's max_unpool and ONNX Runtime read them. ONNX's reference
    // reads them in the inferred shape and pads it instead; the conformance run shows where the two differ.
    const dims = inputs[2]
      ? constNumbers(inputs[2], "output_shape", ctx)
      : [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map((d, a) => (d - 1) * strides[a]! + kernel![a]! - pads[a]! - pads[a + spatial]!)];
    if (dims.length !== x.dims.length) ctx.fail(`output_shape must have ${x.dims.length} values, got [${dims.join(", ")}]`);
    const size = sizeOf(dims);
    return {
      outputs: [{ dtype: "float32", dims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data as Float32Array;
        const at = ins[1]!.data as BigInt64Array;
        const y = outs[0]!.data as Float32Array;
        y.fill(0);
        for (let i = 0; i < src.length; i++) {
          const j = Number(at[i]!);
          if (j < 0 || j >= size) throw new RangeError(`MaxUnpool: index ${j} is out of range for an output of ${size} elements`);
          y[j] = src[i]!;
        }
      },
    };
  },
};

export const maxUnpoolOps: Record<string, OpDef> = { MaxUnpool: maxUnpool };
