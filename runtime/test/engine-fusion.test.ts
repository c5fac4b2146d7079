import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor, onnx } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const DIMS = [2, 5, 41];
const N = DIMS.reduce((a, b) => a * b, 1);
/** Inputs over [-9, 9], where every fused function bends, saturates or cancels. */
const X = Float32Array.from({ length: N }, (_, i) => Math.fround(-9 + (18 * i) / (N - 1)));

const scalars: Record<string, number> = { half: 0.5, one: 1, sqrt2: Math.SQRT2, isqrt2: Math.SQRT1_2, three: 3, k: 0.044715, s2pi: Math.sqrt(2 / Math.PI),
  zero: 0, six: 6, sixth: 1 / 6 };
const initializers = Object.entries(scalars).map(([name, v]) => makeTensor(name, "float32", [], Float32Array.of(v))) as onnx.ITensorProto[];

interface Chain {
  name: string;
  nodes: onnx.NodeProto[];
  /** The kernel path the fused chain runs, and one value inside the chain. */
  fused: string;
  inner: string;
}

const CHAINS: Chain[] = [
  { name: "SiLU", fused: "unary:Silu", inner: "s", nodes: [node("Sigmoid", ["x"], ["s"]), node("Mul", ["x", "s"], ["y"])] },
  { name: "SiLU (sigmoid first)", fused: "unary:Silu", inner: "s", nodes: [node("Sigmoid", ["x"], ["s"]), node("Mul", ["s", "x"], ["y"])] },
  {
    name: "HardSwish as x·HardSigmoid(x)", fused: "unary:HardSwish", inner: "h",
    nodes: [node("HardSigmoid", ["x"], ["h"], [attributes.floatAttribute("alpha", 1 / 6), attributes.floatAttribute("beta", 0.5)]), node("Mul", ["x", "h"], ["y"])],
  },
  {
    name: "HardSwish as x·Relu6(x + 3)/6", fused: "unary:HardSwish", inner: "c",
    nodes: [node("Add", ["x", "three"], ["a"]), node("Clip", ["a", "zero", "six"], ["c"]), node("Mul", ["x", "c"], ["m"]), node("Div", ["m", "six"], ["y"])],
  },
  {
    name: "HardSwish as x·Relu6(3 + x)·(1/6)", fused: "unary:HardSwish", inner: "m",
    nodes: [node("Add", ["three", "x"], ["a"]), node("Clip", ["a", "zero", "six"], ["c"]), node("Mul", ["c", "x"], ["m"]), node("Mul", ["m", "sixth"], ["y"])],
  },
  {
    name: "GELU, erf form as PyTorch exports it", fused: "unary:Gelu", inner: "e",
    nodes: [node("Div", ["x", "sqrt2"], ["d"]), node("Erf", ["d"], ["e"]), node("Add", ["e", "one"], ["p"]), node("Mul", ["x", "p"], ["m"]),
      node("Mul", ["m", "half"], ["y"])],
  },
  {
    name: "GELU, erf form with the half first and x·(1/√2)", fused: "unary:Gelu", inner: "p",
    nodes: [node("Mul", ["x", "half"], ["h"]), node("Mul", ["isqrt2", "x"], ["d"]), node("Erf", ["d"], ["e"]), node("Add", ["one", "e"], ["p"]),
      node("Mul", ["h", "p"], ["y"])],
  },
  {
    name: "GELU, tanh form", fused: "unary:GeluTanh", inner: "t",
    nodes: [node("Pow", ["x", "three"], ["c"]), node("Mul", ["k", "c"], ["w"]), node("Add", ["x", "w"], ["v"]), node("Mul", ["v", "s2pi"], ["u"]),
      node("Tanh", ["u"], ["t"]), node("Add", ["t", "one"], ["p"]), node("Mul", ["half", "x"], ["h"]), node("Mul", ["h", "p"], ["y"])],
  },
  {
    name: "SiLU followed by Relu (the clamp rides along)", fused: "unary:Silu", inner: "s",
    nodes: [node("Sigmoid", ["x"], ["s"]), node("Mul", ["x", "s"], ["m"]), node("Relu", ["m"], ["y"])],
  },
];

async function run(chain: Chain, extraOutput?: string): Promise<{ y: Float32Array; runs: Record<string, number> }> {
  const bytes = modelBytes({
    name: "chain",
    node: chain.nodes,
    input: [valueInfo("x", "float32", DIMS)],
    output: [valueInfo("y", "float32", DIMS), ...(extraOutput ? [valueInfo(extraOutput, "float32", DIMS)] : [])],
    initializer: initializers,
  });
  const session = await createSession(bytes);
  try {
    const out = await session.run({ x: new Tensor("float32", X, DIMS) });
    return { y: out.y!.data as Float32Array, runs: session.kernelRuns() };
  } finally {
    await session.release();
  }
}

test("elementwise chains run as one kernel pass and agree with the unfused graph within the kernels' bound", async () => {
  for (const chain of CHAINS) {
    const fused = await run(chain);
    assert.equal(fused.runs[chain.fused], 1, `${chain.name}: one ${chain.fused} pass (${JSON.stringify(fused.runs)})`);
    assert.equal(Object.keys(fused.runs).length, 1, `${chain.name}: nothing else runs (${JSON.stringify(fused.runs)})`);
    // The same graph with a value inside the chain as an output is not fused: every node runs.
    const unfused = await run(chain, chain.inner);
    assert.equal(unfused.runs[chain.fused], undefined, `${chain.name}: not fused when ${chain.inner} is a graph output`);
    for (let i = 0; i < N; i++) {
      const want = unfused.y[i]!;
      // Relative 2e-6 (both sides within 1e-6 of the exact value), absolute where GELU's 1 + erf cancels.
      const bound = 2e-6 * Math.abs(want) + 6e-7 * Math.abs(X[i]!) + 1e-30;
      assert.ok(Math.abs(fused.y[i]! - want) <= bound, `${chain.name} at x=${X[i]}: fused ${fused.y[i]}, unfused ${want}`);
    }
  }
});

test("a chain whose inner value has another reader is not fused, and both readers get it", async () => {
  const bytes = modelBytes({
    name: "shared",
    node: [node("Sigmoid", ["x"], ["s"]), node("Mul", ["x", "s"], ["y"]), node("Add", ["s", "s"], ["z"])],
    input: [valueInfo("x", "float32", DIMS)],
    output: [valueInfo("y", "float32", DIMS), valueInfo("z", "float32", DIMS)],
  });
  const session = await createSession(bytes);
  try {
    const out = await session.run({ x: new Tensor("float32", X, DIMS) });
    const runs = session.kernelRuns();
    assert.equal(runs["unary:Silu"], undefined);
    assert.equal(runs["unary:Sigmoid"], 1);
    const y = out.y!.data as Float32Array;
    const z = out.z!.data as Float32Array;
    for (let i = 0; i < N; i++) {
      const s = 1 / (1 + Math.exp(-X[i]!));
      assert.ok(Math.abs(z[i]! - 2 * s) <= 2e-6 * s + 1e-30, `z at ${X[i]}`);
      assert.ok(Math.abs(y[i]! - X[i]! * s) <= 1e-6 * Math.abs(X[i]! * s) + 1e-30, `y at ${X[i]}`);
    }
  } finally {
    await session.release();
  }
});
