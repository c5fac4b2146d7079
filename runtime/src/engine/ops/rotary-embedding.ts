import type { OpDef, RtValue } from "../op.js";
import { requireInput } from "./util.js";

/**
 * RotaryEmbedding (opset 23, RoPE): the first `rotary_embedding_dim` features of each head rotated by the angle of its
 * token's position, read from the cos and sin caches by position id (or given per token). Pairs are the two halves
 * of the rotated part, or neighbours when `interleaved`. X is [B, H, S, D], or [B, S, H·D] with `num_heads`.
 */
const rotaryEmbedding: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const cos = requireInput(inputs[1], 1, ctx);
    const sin = requireInput(inputs[2], 2, ctx);
    const positions = inputs[3];
    if (x.dtype !== "float32") ctx.unsupported(`on ${x.dtype} (float32 only)`);
    if (cos.dtype !== "float32" || sin.dtype !== "float32") ctx.fail("cos_cache and sin_cache must be float32 like the input");
    const node = ctx.node;
    const interleaved = node.intAttribute("interleaved", 0) !== 0;
    const d = x.dims;
    if (d.length !== 3 && d.length !== 4) ctx.fail(`the input must be 3-D or 4-D, got [${d.join(", ")}]`);
    const heads = d.length === 3 ? node.intAttribute("num_heads", 0) : d[1]!;
    if (heads <= 0) ctx.fail("a 3-D input needs the num_heads attribute");
    if (d.length === 3 && d[2]! % heads !== 0) ctx.fail(`hidden size ${d[2]} is not a multiple of ${heads} heads`);
    const [B, S, H, D] = d.length === 4 ? [d[0]!, d[2]!, d[1]!, d[3]!] : [d[0]!, d[1]!, heads, d[2]! / heads];
    const at = d.length === 4
      ? (b: number, s: number, h: number) => ((b * H + h) * S + s) * D
      : (b: number, s: number, h: number) => (b * S + s) * H * D + h * D;
    const rotary = node.intAttribute("rotary_embedding_dim", 0) || D;
    if (rotary > D || rotary % 2 !== 0) ctx.fail(`rotary_embedding_dim ${rotary} must be even and at most the head size ${D}`);
    const half = rotary / 2;
    if (cos.dims[cos.dims.length - 1] !== half || sin.dims[sin.dims.length - 1] !== half) {
      ctx.fail(`the caches' last axis must be rotary_embedding_dim / 2 = ${half}, got [${cos.dims.join(", ")}] and [${sin.dims.join(", ")}]`);
    }
    if (positions) {
      if (cos.dims.length !== 2) ctx.fail(`with position_ids the caches are [max_position, ${half}], got [${cos.dims.join(", ")}]`);
    } else if (cos.dims.length !== 3 || cos.dims[0] !== B || cos.dims[1] !== S) {
      ctx.fail(`without position_ids the caches are [${B}, ${S}, ${half}], got [${cos.dims.join(", ")}]`);
    }
    const maxPosition = positions ? cos.dims[0]! : 0;
    return {
      outputs: [{ dtype: "float32", dims: d }],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        const src = ins[0]!.data as Float32Array;
        const cosData = ins[1]!.data as Float32Array;
        const sinData = ins[2]!.data as Float32Array;
        const ids = positions ? (ins[3]!.data as BigInt64Array) : undefined;
        const dst = outs[0]!.data as Float32Array;
        if (dst !== src) dst.set(src);
        for (let b = 0; b < B; b++) {
          for (let s = 0; s < S; s++) {
            let row = (b * S + s) * half;
            if (ids) {
              const p = Number(ids[b * S + s]!);
              if (p < 0 || p >= maxPosition) throw new RangeError(`RotaryEmbedding: position id ${p} is outside the caches' ${maxPosition} positions`);
              row = p * half;
            }
            for (let h = 0; h < H; h++) {
              const base = at(b, s, h);
              for (let k = 0; k < half; k++) {
                const i1 = base + (interleaved ? 2 * k : k);
                const i2 = base + (interleaved ? 2 * k + 1 : k + half);
                const x1 = src[i1]!;
                const x2 = src[i2]!;
                const c = cosData[row + k]!;
                const n = sinData[row + k]!;
                dst[i1] = c * x1 - n * x2;
                dst[i2] = n * x1 + c * x2;
              }
            }
          }
        }
      },
    };
  },
};

export const rotaryEmbeddingOps: Record<string, OpDef> = { RotaryEmbedding: rotaryEmbedding };
