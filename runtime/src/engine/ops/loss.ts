import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { normAxis, reader, requireInput, sizeOf, writer } from "./util.js";

type Reduction = "none" | "sum" | "mean";

function reductionOf(ctx: PrepareContext): Reduction {
  const r = ctx.node.stringAttribute("reduction", "mean");
  if (r !== "none" && r !== "sum" && r !== "mean") ctx.fail(`reduction '${r}' is not none, sum or mean`);
  return r;
}

/** Shapes shared by both losses: input [N, C, d...], target [N, d...]; the loss is [N, d...] or a scalar. */
function lossShapes(x: ValueMeta, target: ValueMeta, reduction: Reduction, ctx: PrepareContext) {
  if (x.dims.length < 2) ctx.fail("the input must be [N, C, ...]");
  const [N, C] = x.dims as [number, number];
  const rest = x.dims.slice(2);
  const expected = [N, ...rest];
  if (target.dims.length !== expected.length || target.dims.some((d, i) => d !== expected[i])) {
    ctx.fail(`target has shape [${target.dims.join(", ")}], expected [${expected.join(", ")}]`);
  }
  return { N, C, D: sizeOf(rest), lossDims: reduction === "none" ? expected : [] };
}

/** loss[n, d] = -logp[n, t, d] · w[t] (0 where t is ignore_index), then reduced (mean divides by Σ w[t]). */
function nll(
  logp: (i: number) => number, target: (i: number) => number, weight: ((c: number) => number) | undefined,
  N: number, C: number, D: number, ignore: number | undefined, reduction: Reduction, out: (i: number, v: number) => void,
): void {
  let sum = 0;
  let weights = 0;
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) {
    const t = target(n * D + d);
    let loss = 0;
    let w = 0;
    if (t !== ignore) {
      if (t < 0 || t >= C) throw new RangeError(`target ${t} is out of range for ${C} classes`);
      w = weight ? weight(t) : 1;
      loss = -logp((n * C + t) * D + d) * w;
    }
    if (reduction === "none") out(n * D + d, loss);
    sum += loss;
    weights += w;
  }
  if (reduction === "sum") out(0, sum);
  if (reduction === "mean") out(0, sum / weights);
}

const negativeLogLikelihoodLoss: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const target = requireInput(inputs[1], 1, ctx);
    const reduction = reductionOf(ctx);
    const { N, C, D, lossDims } = lossShapes(x, target, reduction, ctx);
    const ignore = ctx.node.attributes.has("ignore_index") ? ctx.node.intAttribute("ignore_index", 0) : undefined;
    return {
      outputs: [{ dtype: x.dtype, dims: lossDims }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        nll(reader(ins[0]!.data), reader(ins[1]!.data), ins[2] ? reader(ins[2].data) : undefined, N, C, D, ignore, reduction, writer(outs[0]!.data));
      },
    };
  },
};

const softmaxCrossEntropyLoss: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const target = requireInput(inputs[1], 1, ctx);
    const reduction = reductionOf(ctx);
    const { N, C, D, lossDims } = lossShapes(x, target, reduction, ctx);
    normAxis(1, x.dims.length, ctx);
    const ignore = ctx.node.attributes.has("ignore_index") ? ctx.node.intAttribute("ignore_index", 0) : undefined;
    const wantLogProb = ctx.node.outputNames.length > 1 && ctx.node.outputNames[1] !== "";
    return {
      outputs: [{ dtype: x.dtype, dims: lossDims }, ...(wantLogProb ? [{ dtype: x.dtype, dims: x.dims }] : [])],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const get = reader(ins[0]!.data);
        const logp = new Float64Array(N * C * D);
        for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) {
          let m = -Infinity;
          for (let c = 0; c < C; c++) m = Math.max(m, get((n * C + c) * D + d));
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(get((n * C + c) * D + d) - m);
          const l = Math.log(s);
          for (let c = 0; c < C; c++) logp[(n * C + c) * D + d] = get((n * C + c) * D + d) - m - l;
        }
        // The loss is computed from the log-probabilities as the output type stores them.
        const rounded = x.dtype === "float32" ? Float32Array.from(logp) : logp;
        nll((i) => rounded[i]!, reader(ins[1]!.data), ins[2] ? reader(ins[2].data) : undefined, N, C, D, ignore, reduction, writer(outs[0]!.data));
        if (outs[1]) {
          const w = writer(outs[1].data);
          for (let i = 0; i < rounded.length; i++) w(i, rounded[i]!);
        }
      },
    };
  },
};

export const lossOps: Record<string, OpDef> = {
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
