import { test } from "node:test";
import assert from "node:assert/strict";
import { attributes, makeTensor } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return new Float32Array(n).map(() => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Einsum straight from its definition: every assignment of the subscripts, products summed into the output. */
function reference(equation: string, xs: { data: Float32Array; dims: number[] }[]): { data: Float64Array; dims: number[] } {
  const [lhs, rhs] = equation.replace(/\s+/g, "").split("->") as [string, string];
  const terms = lhs.split(",");
  const size = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((l, a) => size.set(l, xs[i]!.dims[a]!)));
  const letters = [...size.keys()];
  const outDims = [...rhs].map((l) => size.get(l)!);
  const out = new Float64Array(outDims.reduce((a, b) => a * b, 1));
  const idx = new Map<string, number>();
  const flat = (term: string, dims: number[]) => [...term].reduce((off, l, a) => off * dims[a]! + idx.get(l)!, 0);
  const visit = (d: number): void => {
    if (d === letters.length) {
      let p = 1;
      terms.forEach((t, i) => { p *= xs[i]!.data[flat(t, xs[i]!.dims)]!; });
      out[flat(rhs, outDims)]! += p;
      return;
    }
    for (let v = 0; v < size.get(letters[d]!)!; v++) {
      idx.set(letters[d]!, v);
      visit(d + 1);
    }
  };
  visit(0);
  return { data: out, dims: outDims };
}

const CASES: [string, number[][], boolean][] = [
  ["bij,bjk->bik", [[3, 5, 7], [3, 7, 9]], true],
  ["bhqd,bhkd->bhqk", [[2, 3, 5, 8], [2, 3, 6, 8]], true],
  ["bhqk,bhkd->bhqd", [[2, 2, 4, 6], [2, 2, 6, 5]], true],
  ["ij,jk->ik", [[13, 17], [17, 11]], true],
  ["bid,dj->bij", [[2, 9, 6], [6, 10]], true],
  ["ij,kj->ik", [[4, 5], [6, 5]], true],
  ["bij,bjk->ibk", [[3, 4, 5], [3, 5, 6]], true],
  ["i,i->", [[10], [10]], true],
  ["i,j->ij", [[5], [7]], true],
  ["bsd,edh->bseh", [[2, 6, 5], [3, 5, 4]], true],
  ["ebd,dh->beh", [[3, 4, 5], [5, 6]], true],
  ["bqd,hkd->bhqk", [[2, 3, 4], [2, 5, 4]], true],
  ["ij->ji", [[4, 6]], false],
  ["ij->i", [[5, 3]], false],
  ["ii->i", [[4, 4]], false],
  ["bii->b", [[2, 3, 3]], false],
  ["ij,jk,kl->il", [[2, 3], [3, 4], [4, 5]], false],
  ["bij,bjk->bk", [[2, 3, 4], [2, 4, 5]], false],
];

for (const [equation, shapes, gemm] of CASES) {
  test(`Einsum '${equation}' matches its definition${gemm ? " (one GEMM per batch)" : " (the subscript loop)"}`, async () => {
    const xs = shapes.map((dims, i) => ({ dims, data: random(dims.reduce((a, b) => a * b, 1), 7 + i) }));
    const want = reference(equation, xs);
    const names = shapes.map((_, i) => `x${i}`);
    const bytes = modelBytes({
      name: "einsum",
      node: [node("Einsum", names, ["y"], [attributes.stringAttribute("equation", equation)], "einsum")],
      input: shapes.map((dims, i) => valueInfo(names[i]!, "float32", dims)),
      output: [valueInfo("y", "float32", [])],
    }, { opset: 13 });
    const session = await createSession(bytes);
    try {
      const feeds = Object.fromEntries(xs.map((x, i) => [names[i]!, new Tensor("float32", x.data, x.dims)]));
      const got = (await session.run(feeds)).y!;
      assert.deepEqual(session.kernelRuns(), gemm ? { "einsum-gemm": 1 } : {});
      assert.deepEqual(got.dims, want.dims);
      const g = got.data as Float32Array;
      for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(g[i]! - want.data[i]!) <= 1e-5 * (1 + Math.abs(want.data[i]!)), `element ${i}: ${g[i]} vs ${want.data[i]}`);
    } finally {
      await session.release();
    }
  });
}

test("Einsum with a constant operand whose columns are looped (a mixture of experts' weights) packs each expert's once", async () => {
  const equation = "bsd,edh->bseh";
  const x = { dims: [1, 7, 6], data: random(42, 3) };
  const w = { dims: [4, 6, 5], data: random(120, 4) };
  const want = reference(equation, [x, w]);
  const bytes = modelBytes({
    name: "einsum",
    node: [node("Einsum", ["x", "w"], ["y"], [attributes.stringAttribute("equation", equation)], "einsum")],
    initializer: [makeTensor("w", "float32", w.dims, w.data)],
    input: [valueInfo("x", "float32", x.dims)],
    output: [valueInfo("y", "float32", [])],
  }, { opset: 13 });
  for (const threads of [1, 2]) {
    const session = await createSession(bytes, { threads });
    try {
      for (let run = 0; run < 2; run++) {
        const got = (await session.run({ x: new Tensor("float32", x.data, x.dims) })).y!;
        assert.deepEqual(got.dims, want.dims);
        const g = got.data as Float32Array;
        for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(g[i]! - want.data[i]!) <= 1e-5 * (1 + Math.abs(want.data[i]!)), `element ${i}: ${g[i]} vs ${want.data[i]}`);
      }
      assert.deepEqual(session.kernelRuns(), { "einsum-gemm": 2 });
    } finally {
      await session.release();
    }
  }
});

test("Einsum names the equation when it does not fit its inputs", async () => {
  const bytes = modelBytes({
    name: "einsum",
    node: [node("Einsum", ["a", "b"], ["y"], [attributes.stringAttribute("equation", "ij,jk->ik")], "einsum")],
    input: [valueInfo("a", "float32", [2, 3]), valueInfo("b", "float32", [4, 5])],
    output: [valueInfo("y", "float32", [])],
  }, { opset: 13 });
  await assert.rejects(async () => {
    const session = await createSession(bytes);
    try {
      await session.run({ a: new Tensor("float32", new Float32Array(6), [2, 3]), b: new Tensor("float32", new Float32Array(20), [4, 5]) });
    } finally {
      await session.release();
    }
  }, /einsum.*subscript 'j' has extent 3 and 4/);
});
