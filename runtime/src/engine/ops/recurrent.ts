import type { OpDef, PrepareContext, RtValue, ValueMeta } from "../op.js";
import {
  ACTIVATIONS, GATES, type Activation, type PackedDirection, type RecurrentCell, type RecurrentShape,
} from "../kernels/recurrent.js";
import { requireFloat32, requireInput } from "./util.js";

/** The activations a cell applies when the node names none (f, g, h in ONNX's terms). */
const DEFAULT_ACTIVATIONS: Readonly<Record<RecurrentCell, readonly string[]>> = {
  LSTM: ["Sigmoid", "Tanh", "Tanh"],
  GRU: ["Sigmoid", "Tanh"],
  RNN: ["Tanh"],
};

/** Each direction's activations with their alpha and beta, consumed in order as onnxruntime does. */
function activations(cell: RecurrentCell, D: number, ctx: PrepareContext): Activation[][] {
  const node = ctx.node;
  const per = DEFAULT_ACTIVATIONS[cell].length;
  let names = (node.attribute("activations") as string[] | undefined) ?? [];
  if (names.length === 0) names = Array.from({ length: D }, () => DEFAULT_ACTIVATIONS[cell]).flat();
  // A bidirectional node may name one direction's activations: both use them.
  if (names.length === per && D === 2) names = [...names, ...names];
  if (names.length !== per * D) ctx.fail(`activations has ${names.length} names, expected ${per * D} (${per} per direction)`);
  // Float lists read like int lists: both are arrays of numbers.
  const alphas = node.intsAttribute("activation_alpha") ?? [];
  const betas = node.intsAttribute("activation_beta") ?? [];
  let ai = 0;
  let bi = 0;
  const acts = names.map((name) => {
    const spec = ACTIVATIONS[name.toLowerCase()];
    if (!spec) ctx.unsupported(`with activation '${name}'`);
    const alpha = spec.alphas > 0 && ai < alphas.length ? alphas[ai++]! : spec.alpha;
    const beta = spec.betas > 0 && bi < betas.length ? betas[bi++]! : spec.beta;
    return { code: spec.code, alpha, beta };
  });
  return Array.from({ length: D }, (_, d) => acts.slice(d * per, (d + 1) * per));
}

function recurrent(cell: RecurrentCell): OpDef {
  return {
    prepare(inputs, ctx) {
      const node = ctx.node;
      const x = requireInput(inputs[0], 0, ctx);
      const w = requireInput(inputs[1], 1, ctx);
      const r = requireInput(inputs[2], 2, ctx);
      const [b, lens, h0] = [inputs[3], inputs[4], inputs[5]];
      const c0 = cell === "LSTM" ? inputs[6] : undefined;
      const p = cell === "LSTM" ? inputs[7] : undefined;
      requireFloat32(x, "X", ctx);
      for (const [meta, what] of [[w, "W"], [r, "R"], [b, "B"], [h0, "initial_h"], [c0, "initial_c"], [p, "P"]] as const) {
        if (meta) requireFloat32(meta, what, ctx);
      }
      const layout = ctx.opset >= 14 ? node.intAttribute("layout", 0) : 0;
      if (layout !== 0 && layout !== 1) ctx.fail(`layout must be 0 or 1, got ${layout}`);
      if (x.dims.length !== 3) ctx.fail(`X must have rank 3, got [${x.dims.join(", ")}]`);
      const [T, B] = layout === 0 ? [x.dims[0]!, x.dims[1]!] : [x.dims[1]!, x.dims[0]!];
      const I = x.dims[2]!;
      const direction = node.stringAttribute("direction", "forward");
      if (direction !== "forward" && direction !== "reverse" && direction !== "bidirectional") {
        ctx.fail(`direction must be forward, reverse or bidirectional, got '${direction}'`);
      }
      const D = direction === "bidirectional" ? 2 : 1;
      const G = GATES[cell];
      if (r.dims.length !== 3) ctx.fail(`R must have rank 3, got [${r.dims.join(", ")}]`);
      const H = node.intAttribute("hidden_size", r.dims[2]!);
      const expect = (meta: ValueMeta | undefined, what: string, dims: number[]) => {
        if (meta && (meta.dims.length !== dims.length || meta.dims.some((v, i) => v !== dims[i]))) {
          ctx.fail(`${what} has shape [${meta.dims.join(", ")}], expected [${dims.join(", ")}]`);
        }
      };
      const stateDims = layout === 0 ? [D, B, H] : [B, D, H];
      expect(w, "W", [D, G * H, I]);
      expect(r, "R", [D, G * H, H]);
      expect(b, "B", [D, 2 * G * H]);
      expect(lens, "sequence_lens", [B]);
      expect(h0, "initial_h", stateDims);
      expect(c0, "initial_c", stateDims);
      expect(p, "P", [D, 3 * H]);
      const clipAttr = node.floatAttribute("clip", Infinity);
      const s: RecurrentShape = {
        cell, T, B, I, H, D, layout: layout as 0 | 1,
        clip: clipAttr,
        inputForget: cell === "LSTM" && node.intAttribute("input_forget", 0) !== 0,
        linearBeforeReset: cell === "GRU" && node.intAttribute("linear_before_reset", 0) !== 0,
      };
      const acts = activations(cell, D, ctx);
      const k = ctx.k;
      const weights = [w, r, b, p];
      const constWeights = weights.every((m) => m === undefined || m.value !== undefined);
      const create = () => acts.map((a, d) => k.recurrent.createDirection(s, a, direction === "reverse" || d === 1, p !== undefined, ctx.persistentF32));
      const pack = (dirs: PackedDirection[], W: Float32Array, R: Float32Array, Bv?: Float32Array, P?: Float32Array) => {
        dirs.forEach((dir, d) => k.recurrent.pack(dir, s, d, W, R, Bv, P));
        return dirs;
      };
      const f32 = (m: ValueMeta | undefined) => m?.value as Float32Array | undefined;
      const dirs = constWeights
        ? ctx.once("weights", () => pack(create(), f32(w)!, f32(r)!, f32(b), f32(p)))
        : create();
      const ws = k.recurrent.createWorkspace(s, ctx.persistentF32);
      // Outputs the node leaves out (an empty name) get no storage.
      const present = (i: number) => (node.outputNames[i] ?? "") !== "";
      const outDims = [layout === 0 ? [T, D, B, H] : [B, T, D, H], stateDims, stateDims].slice(0, node.outputNames.length);
      const runtimeInputs = [0, 4, 5, 6].filter((i) => inputs[i] !== undefined);
      if (!constWeights) runtimeInputs.push(...[1, 2, 3, 7].filter((i) => inputs[i] !== undefined));
      return {
        outputs: outDims.map((dims, i) => ({ dtype: "float32", dims: present(i) ? dims : [0] })),
        runtimeInputs,
        run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
          const data = (i: number) => ins[i]?.data as Float32Array | undefined;
          if (!constWeights) pack(dirs, data(1)!, data(2)!, data(3), cell === "LSTM" ? data(7) : undefined);
          const out = (i: number) => (present(i) ? outs[i]?.data as Float32Array | undefined : undefined);
          k.recurrent.run(s, dirs, ws, {
            x: data(0)!,
            lens: ins[4]?.data as ArrayLike<number | bigint> | undefined,
            h0: data(5),
            c0: cell === "LSTM" ? data(6) : undefined,
            y: out(0),
            yh: out(1),
            yc: out(2),
          });
        },
      };
    },
  };
}

export const recurrentOps: Record<string, OpDef> = { LSTM: recurrent("LSTM"), GRU: recurrent("GRU"), RNN: recurrent("RNN") };
