import { makeTensor } from "../../src/tooling.js";
import { modelBytes, node, valueInfo } from "./build.js";

/** Deterministic weights in about [-scale, scale]. */
function weights(count: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => scale * Math.sin(seed * 12.9898 + i * 78.233));
}

const SEQ = 6;
const WIDTH = 16;
const HIDDEN = 32;
const VOCAB = 10;

/**
 * A one-block transformer as PyTorch exports it: token embedding (Gather of a table by int64 ids) added to the input,
 * nn.Linear as MatMul + bias Add, GELU as its Erf chain, a second linear, a residual Add, LayerNormalization, then
 * single-head attention (activation × activation MatMuls and a Softmax). With `gelu: "tanh"`, GELU is its tanh form as
 * torch exports `approximate="tanh"`: 0.5 · x · (1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function tinyTransformerModel(options: { gelu?: "erf" | "tanh" } = {}): Uint8Array {
  const f = (name: string, dims: number[], seed: number, scale: number) => makeTensor(name, "float32", dims, weights(dims.reduce((a, b) => a * b, 1), seed, scale));
  const scalar = (name: string, v: number) => makeTensor(name, "float32", [], Float32Array.of(v));
  return modelBytes({
    name: "tiny-transformer",
    input: [valueInfo("x", "float32", ["batch", SEQ, WIDTH]), valueInfo("ids", "int64", ["batch", SEQ])],
    output: [valueInfo("y", "float32", ["batch", SEQ, WIDTH])],
    initializer: [
      f("embedding", [VOCAB, WIDTH], 1, 0.5),
      f("w1", [WIDTH, HIDDEN], 2, 0.3), f("b1", [HIDDEN], 3, 0.1),
      f("w2", [HIDDEN, WIDTH], 4, 0.3), f("b2", [WIDTH], 5, 0.1),
      f("gamma", [WIDTH], 6, 1), f("beta", [WIDTH], 7, 0.1),
      scalar("sqrt2", Math.SQRT2), scalar("one", 1), scalar("half", 0.5), scalar("temperature", 4),
      scalar("three", 3), scalar("kappa", 0.044715), scalar("sqrt2_over_pi", Math.sqrt(2 / Math.PI)),
    ],
    node: [
      node("Gather", ["embedding", "ids"], ["tokens"], [], "/embed/Gather"),
      node("Add", ["x", "tokens"], ["h0"], [], "/embed/Add"),
      node("MatMul", ["h0", "w1"], ["mm1"], [], "/fc1/MatMul"),
      node("Add", ["mm1", "b1"], ["lin1"], [], "/fc1/Add"),
      ...(options.gelu === "tanh" ? [
        node("Pow", ["lin1", "three"], ["gelu_cube"], [], "/act/Pow"),
        node("Mul", ["gelu_cube", "kappa"], ["gelu_kcube"], [], "/act/Mul"),
        node("Add", ["lin1", "gelu_kcube"], ["gelu_inner"], [], "/act/Add"),
        node("Mul", ["gelu_inner", "sqrt2_over_pi"], ["gelu_scaled"], [], "/act/Mul_1"),
        node("Tanh", ["gelu_scaled"], ["gelu_tanh"], [], "/act/Tanh"),
        node("Add", ["gelu_tanh", "one"], ["gelu_add"], [], "/act/Add_1"),
        node("Mul", ["lin1", "gelu_add"], ["gelu_mul"], [], "/act/Mul_2"),
        node("Mul", ["gelu_mul", "half"], ["gelu"], [], "/act/Mul_3"),
      ] : [
        node("Div", ["lin1", "sqrt2"], ["gelu_div"], [], "/act/Div"),
        node("Erf", ["gelu_div"], ["gelu_erf"], [], "/act/Erf"),
        node("Add", ["gelu_erf", "one"], ["gelu_add"], [], "/act/Add"),
        node("Mul", ["lin1", "gelu_add"], ["gelu_mul"], [], "/act/Mul"),
        node("Mul", ["gelu_mul", "half"], ["gelu"], [], "/act/Mul_1"),
      ]),
      node("MatMul", ["gelu", "w2"], ["mm2"], [], "/fc2/MatMul"),
      node("Add", ["mm2", "b2"], ["lin2"], [], "/fc2/Add"),
      node("Add", ["h0", "lin2"], ["residual"], [], "/residual/Add"),
      node("LayerNormalization", ["residual", "gamma", "beta"], ["normed"], [{ name: "axis", type: 2, i: -1 }], "/norm/LayerNormalization"),
      node("Transpose", ["normed"], ["keys"], [{ name: "perm", type: 7, ints: [0, 2, 1] }], "/attn/Transpose"),
      node("MatMul", ["normed", "keys"], ["scores"], [], "/attn/MatMul"),
      node("Div", ["scores", "temperature"], ["scaled"], [], "/attn/Div"),
      node("Softmax", ["scaled"], ["probs"], [{ name: "axis", type: 2, i: -1 }], "/attn/Softmax"),
      node("MatMul", ["probs", "normed"], ["y"], [], "/attn/MatMul_1"),
    ],
  });
}

/** Deterministic inputs for the tiny transformer: `batch` rows of x and token ids. */
export function tinyTransformerSample(batch: number, seed: number): { x: { data: Float32Array; dims: number[] }; ids: { data: BigInt64Array; dims: number[] } } {
  return {
    x: { data: weights(batch * SEQ * WIDTH, 10 + seed, 1), dims: [batch, SEQ, WIDTH] },
    ids: { data: BigInt64Array.from({ length: batch * SEQ }, (_, i) => BigInt((i * 7 + seed * 3) % VOCAB)), dims: [batch, SEQ] },
  };
}
