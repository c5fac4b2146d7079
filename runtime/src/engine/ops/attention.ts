import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import { requireInput } from "./util.js";

/** How one of Q, K, V (or a cache) lies in memory, as [batch, heads, sequence, head size]. */
interface HeadLayout {
  batch: number;
  heads: number;
  seq: number;
  size: number;
  /** Element offset of (batch b, head h), and the stride between sequence positions. */
  at(b: number, h: number): number;
  rowStride: number;
}

/** A 4-D [B, H, S, D] tensor, or a 3-D [B, S, H·D] one split into `heads` (ONNX's Attention takes either). */
function headLayout(meta: ValueMeta, heads: number | undefined, what: string, ctx: PrepareContext): HeadLayout {
  const d = meta.dims;
  if (d.length === 4) {
    const [B, H, S, D] = d as [number, number, number, number];
    return { batch: B, heads: H, seq: S, size: D, rowStride: D, at: (b, h) => (b * H + h) * S * D };
  }
  if (d.length !== 3) ctx.fail(`${what} must be 3-D or 4-D, got [${d.join(", ")}]`);
  if (!heads || heads <= 0) ctx.fail(`a 3-D ${what} needs the q_num_heads and kv_num_heads attributes`);
  const [B, S, hidden] = d as [number, number, number];
  if (hidden % heads !== 0) ctx.fail(`${what}'s hidden size ${hidden} is not a multiple of ${heads} heads`);
  const D = hidden / heads;
  return { batch: B, heads, seq: S, size: D, rowStride: hidden, at: (b, h) => b * S * hidden + h * D };
}

const contiguous = (B: number, H: number, S: number, D: number): HeadLayout =>
  ({ batch: B, heads: H, seq: S, size: D, rowStride: D, at: (b, h) => (b * H + h) * S * D });

/**
 * Attention (opsets 23–25): softmax(scale·Q·Kᵀ (soft-capped) + mask)·V per head, with multi-, grouped- and multi-query
 * heads, a past key/value cache concatenated into the present one, boolean or additive masks (a shorter last axis is
 * padded with −∞), causal masking aligned bottom-right (query i sees key j ≤ i + offset), per-sample valid key counts
 * (`nonpad_kv_seqlen`) and sliding windows. The two products are batched GEMMs over (batch, query head), reading each
 * operand through its strides (no copies), and a query row that no key may attend gives zeros, not NaN.
 */
const attention: OpDef = {
  prepare(inputs, ctx) {
    const q = requireInput(inputs[0], 0, ctx);
    const k = requireInput(inputs[1], 1, ctx);
    const v = requireInput(inputs[2], 2, ctx);
    const [mask, pastK, pastV, nonpad] = [inputs[3], inputs[4], inputs[5], inputs[6]];
    for (const [m, what] of [[q, "Q"], [k, "K"], [v, "V"], [pastK, "past_key"], [pastV, "past_value"]] as const) {
      if (m && m.dtype !== "float32") ctx.unsupported(`on ${m.dtype} ${what} (float32 only)`);
    }
    if (!!pastK !== !!pastV) ctx.fail("past_key and past_value go together");
    if (nonpad && pastK) ctx.fail("nonpad_kv_seqlen cannot be used with past_key and past_value");
    const node = ctx.node;
    const qHeads = node.intAttribute("q_num_heads", 0) || undefined;
    const kvHeads = node.intAttribute("kv_num_heads", 0) || undefined;
    const Q = headLayout(q, qHeads, "Q", ctx);
    const Kin = headLayout(k, kvHeads, "K", ctx);
    const Vin = headLayout(v, kvHeads, "V", ctx);
    const [B, Hq, Sq, D] = [Q.batch, Q.heads, Q.seq, Q.size];
    const Hk = Kin.heads;
    if (Kin.batch !== B || Vin.batch !== B) ctx.fail("Q, K and V must have the same batch size");
    if (Kin.size !== D) ctx.fail(`K's head size ${Kin.size} is not Q's ${D}`);
    if (Vin.heads !== Hk || Vin.seq !== Kin.seq) ctx.fail("K and V must have the same heads and sequence length");
    if (Hq % Hk !== 0) ctx.fail(`${Hq} query heads do not group over ${Hk} key/value heads`);
    const Dv = Vin.size;
    const P = pastK ? pastK.dims[2]! : 0;
    if (pastK && (pastK.dims.length !== 4 || pastK.dims[0] !== B || pastK.dims[1] !== Hk || pastK.dims[3] !== D)) ctx.fail(`past_key must be [${B}, ${Hk}, past, ${D}], got [${pastK.dims.join(", ")}]`);
    if (pastV && (pastV.dims.length !== 4 || pastV.dims[0] !== B || pastV.dims[1] !== Hk || pastV.dims[2] !== P || pastV.dims[3] !== Dv)) ctx.fail(`past_value must be [${B}, ${Hk}, ${P}, ${Dv}], got [${pastV.dims.join(", ")}]`);
    const T = P + Kin.seq;
    const group = Hq / Hk;
    const scale = node.floatAttribute("scale", 1 / Math.sqrt(D));
    const softcap = node.floatAttribute("softcap", 0);
    const causal = node.intAttribute("is_causal", 0) !== 0;
    const left = ctx.opset >= 25 ? node.intAttribute("left_window_size", -1) : -1;
    const right = ctx.opset >= 25 ? node.intAttribute("right_window_size", -1) : -1;
    const mode = node.intAttribute("qk_matmul_output_mode", 0);
    if (mode < 0 || mode > 3) ctx.fail(`qk_matmul_output_mode must be 0 to 3, got ${mode}`);
    const maskOf = mask ? maskReader(mask, [B, Hq, Sq, T], ctx) : undefined;
    const outputCount = node.outputNames.length;
    const presentK = outputCount > 1 && !!node.outputNames[1];
    const presentV = outputCount > 2 && !!node.outputNames[2];
    // The keys and values the products read: the inputs, or the present cache (past then new) when there is a past,
    // written into the present output when it is asked for.
    const Kall = pastK ? contiguous(B, Hk, T, D) : Kin;
    const Vall = pastK ? contiguous(B, Hk, T, Dv) : Vin;
    const cacheK = pastK && !presentK ? ctx.persistentF32(B * Hk * T * D) : undefined;
    const cacheV = pastK && !presentV ? ctx.persistentF32(B * Hk * T * Dv) : undefined;
    const scores = ctx.persistentF32(B * Hq * Sq * T);
    const probs = ctx.persistentF32(B * Hq * Sq * T);
    const items = B * Hq;
    const itemOf = (f: (b: number, h: number) => number) => Array.from({ length: items }, (_, i) => f(Math.floor(i / Hq), i % Hq));
    const kern = ctx.k;
    const qk = kern.gemm.createBatch({
      count: items, M: Sq, N: T, K: D, ldc: T,
      aOffsets: itemOf((b, h) => Q.at(b, h)),
      bOffsets: itemOf((b, h) => Kall.at(b, Math.floor(h / group))),
      cOffsets: itemOf((b, h) => (b * Hq + h) * Sq * T),
      a: { rowStride: Q.rowStride, colStride: 1 },
      b: { rowStride: 1, colStride: Kall.rowStride },
    }, ctx.persistentF32);
    const yDims = q.dims.length === 4 ? [B, Hq, Sq, Dv] : [B, Sq, Hq * Dv];
    const Y = q.dims.length === 4 ? contiguous(B, Hq, Sq, Dv) : { at: (b: number, h: number) => b * Sq * Hq * Dv + h * Dv, rowStride: Hq * Dv };
    const pv = kern.gemm.createBatch({
      count: items, M: Sq, N: Dv, K: T, ldc: Y.rowStride,
      aOffsets: itemOf((b, h) => (b * Hq + h) * Sq * T),
      bOffsets: itemOf((b, h) => Vall.at(b, Math.floor(h / group))),
      cOffsets: itemOf((b, h) => Y.at(b, h)),
      a: { rowStride: T, colStride: 1 },
      b: { rowStride: Vall.rowStride, colStride: 1 },
    }, ctx.persistentF32);
    const outputs: ValueMeta[] = [{ dtype: "float32", dims: yDims }];
    if (outputCount > 1) outputs.push({ dtype: "float32", dims: [B, Hk, T, D] });
    if (outputCount > 2) outputs.push({ dtype: "float32", dims: [B, Hk, T, Dv] });
    if (outputCount > 3) outputs.push({ dtype: "float32", dims: [B, Hq, Sq, T] });
    const rows = { outer: B * Hq * Sq, n: T, inner: 1 };
    const empty = new Uint8Array(rows.outer);

    return {
      outputs,
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        let kData = ins[1]!.data as Float32Array;
        let vData = ins[2]!.data as Float32Array;
        if (pastK) {
          kData = presentK ? (outs[1]!.data as Float32Array) : cacheK!;
          vData = presentV ? (outs[2]!.data as Float32Array) : cacheV!;
          concatCache(ins[4]!.data as Float32Array, ins[1]!.data as Float32Array, Kin, kData, B, Hk, P, T, D);
          concatCache(ins[5]!.data as Float32Array, ins[2]!.data as Float32Array, Vin, vData, B, Hk, P, T, Dv);
        } else {
          if (presentK) copyHeads(kData, Kin, outs[1]!.data as Float32Array, B, Hk, T, D);
          if (presentV) copyHeads(vData, Vin, outs[2]!.data as Float32Array, B, Hk, T, Dv);
        }
        kern.gemm.runBatch(qk, ins[0]!.data as Float32Array, kData, scores);
        const qkOut = outputCount > 3 && node.outputNames[3] ? (outs[3]!.data as Float32Array) : undefined;
        const valid = nonpad ? (ins[6]!.data as BigInt64Array) : undefined;
        const maskData = maskOf ? ins[3]!.data : undefined;
        // The keys a query row may attend form one run [lo, hi): valid keys, causal and window bounds. Without a mask,
        // a cap or a scores output, a row is that run scaled and −∞ around it.
        const plain = !maskOf && softcap <= 0 && !qkOut;
        let emptyRows = 0;
        for (let b = 0; b < B; b++) {
          const keys = valid ? Math.min(Number(valid[b]!), T) : T;
          const offset = pastK ? P : valid ? Number(valid[b]!) - Sq : 0;
          for (let h = 0; h < Hq; h++) {
            for (let i = 0; i < Sq; i++) {
              const r = (b * Hq + h) * Sq + i;
              const row = r * T;
              const position = offset + i;
              const lo = Math.max(0, left >= 0 ? position - left : 0);
              const hi = Math.min(keys, causal ? position + 1 : T, right >= 0 ? position + right + 1 : T);
              let any = false;
              if (plain) {
                scores.fill(-Infinity, row, row + Math.min(T, Math.max(lo, 0)));
                for (let j = lo; j < hi; j++) scores[row + j]! *= scale;
                if (hi < T) scores.fill(-Infinity, row + Math.max(hi, lo, 0), row + T);
                any = hi > lo;
              } else {
                for (let j = 0; j < T; j++) {
                  let s = scores[row + j]! * scale;
                  if (mode === 0 && qkOut) qkOut[row + j] = s;
                  if (softcap > 0) s = softcap * Math.tanh(s / softcap);
                  if (mode === 1 && qkOut) qkOut[row + j] = s;
                  s = j >= lo && j < hi ? s + (maskOf ? maskOf(maskData!, b, h, i, j) : 0) : -Infinity;
                  if (mode === 2 && qkOut) qkOut[row + j] = s;
                  scores[row + j] = s;
                  any ||= s !== -Infinity;
                }
              }
              if (!any) { empty[r] = 1; emptyRows++; } else empty[r] = 0;
            }
          }
        }
        kern.norm.softmax(scores, probs, rows, false);
        // A row no key may attend: softmax of −∞ everywhere is NaN; it gives zeros.
        if (emptyRows > 0) for (let r = 0; r < rows.outer; r++) if (empty[r]) probs.fill(0, r * T, (r + 1) * T);
        if (mode === 3 && qkOut) qkOut.set(probs);
        kern.gemm.runBatch(pv, probs, vData, outs[0]!.data as Float32Array);
      },
    };
  },
};

/** The mask's value at (b, h, i, j), broadcast from its shape; a last axis shorter than T reads as −∞ beyond it. */
function maskReader(mask: ValueMeta, full: readonly number[], ctx: PrepareContext): (data: unknown, b: number, h: number, i: number, j: number) => number {
  const isBool = mask.dtype === "bool";
  if (!isBool && mask.dtype !== "float32") ctx.unsupported(`with a ${mask.dtype} attn_mask (bool or float32 only)`);
  const dims = [...Array<number>(Math.max(0, 4 - mask.dims.length)).fill(1), ...mask.dims];
  if (dims.length > 4) ctx.fail(`attn_mask has more than 4 axes: [${mask.dims.join(", ")}]`);
  for (let a = 0; a < 3; a++) if (dims[a] !== 1 && dims[a] !== full[a]) ctx.fail(`attn_mask [${mask.dims.join(", ")}] does not broadcast to [${full.join(", ")}]`);
  const last = dims[3]!;
  if (last > full[3]! || (last !== 1 && last < 1)) ctx.fail(`attn_mask's last axis ${last} is longer than the ${full[3]} keys`);
  const strides = [dims[1]! * dims[2]! * last, dims[2]! * last, last, 1].map((s, a) => (dims[a] === 1 && a < 3 ? 0 : s));
  const broadcastLast = last === 1 && full[3]! > 1;
  return (data, b, h, i, j) => {
    if (!broadcastLast && j >= last) return -Infinity;
    const at = b * strides[0]! + h * strides[1]! + i * strides[2]! + (broadcastLast ? 0 : j);
    if (isBool) return (data as Uint8Array)[at] ? 0 : -Infinity;
    return (data as Float32Array)[at]!;
  };
}

/** present = concat(past, new) along the sequence, as [B, H, T, D]. */
function concatCache(past: Float32Array, incoming: Float32Array, layout: HeadLayout, present: Float32Array, B: number, H: number, P: number, T: number, D: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const dst = (b * H + h) * T * D;
      present.set(past.subarray((b * H + h) * P * D, (b * H + h + 1) * P * D), dst);
      for (let s = 0; s < layout.seq; s++) {
        const from = layout.at(b, h) + s * layout.rowStride;
        present.set(incoming.subarray(from, from + D), dst + (P + s) * D);
      }
    }
  }
}

/** The keys or values as [B, H, S, D], for present outputs without a past. */
function copyHeads(src: Float32Array, layout: HeadLayout, dst: Float32Array, B: number, H: number, S: number, D: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let s = 0; s < S; s++) {
        const from = layout.at(b, h) + s * layout.rowStride;
        dst.set(src.subarray(from, from + D), ((b * H + h) * S + s) * D);
      }
    }
  }
}

export const attentionOps: Record<string, OpDef> = { Attention: attention };
