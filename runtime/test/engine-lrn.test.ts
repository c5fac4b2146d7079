import { test } from "node:test";
import { attributes } from "../src/tooling.js";
import { modelBytes, node, seededValues, valueInfo } from "./helpers/build.js";
import { assertRunsAsOrt } from "./helpers/runs-as-ort.js";

// LRN runs in WebAssembly: the square sum over the channel window per pixel, then (bias + alpha/size · Σ)^-beta, as
// square roots at AlexNet's beta of 0.75 and through exp/log otherwise. Against onnxruntime-node, on a Relu's output
// (a value in kernel memory) and on the graph input itself, at several window sizes.

const CASES: [string, number[], number, number, number, number][] = [
  ["AlexNet's LRN (size 5, beta 0.75)", [1, 16, 13, 13], 5, 1e-4, 0.75, 1],
  ["a batch of two, a large alpha, planes with a tail", [2, 7, 5, 3], 3, 0.5, 0.75, 2],
  ["beta 0.5 through exp/log", [1, 9, 6, 6], 3, 0.3, 0.5, 1],
  ["beta 1.2, a window wider than the channels", [1, 3, 4, 5], 7, 2, 1.2, 0.5],
];

for (const [name, dims, size, alpha, beta, bias] of CASES) {
  test(`LRN ${name} equals onnxruntime-node`, async () => {
    const attrs = [attributes.intAttribute("size", size), attributes.floatAttribute("alpha", alpha), attributes.floatAttribute("beta", beta), attributes.floatAttribute("bias", bias)];
    const bytes = modelBytes({
      name: "lrn", node: [node("LRN", ["x"], ["direct"], attrs), node("Relu", ["x"], ["r"]), node("LRN", ["r"], ["afterRelu"], attrs)],
      input: [valueInfo("x", "float32", dims)], output: [valueInfo("direct", "float32", dims), valueInfo("afterRelu", "float32", dims)],
    });
    const n = dims.reduce((a, b) => a * b, 1);
    const feed = (seed: number) => ({ x: { data: seededValues(n, seed, -3, 3), dims } });
    await assertRunsAsOrt(bytes, [feed(1), feed(2)]);
  });
}
