import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTensor, Tensor, type onnx } from "../src/tooling.js";
import { createSession } from "../src/session/create-session.js";
import { intsAttribute } from "../src/onnx/attributes.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/**
 * Transpose and Slice on uint8/int8 tensors: the strided byte copy (contiguous runs, strided inner axes, negative
 * steps), the view a Transpose of unit axes becomes, and the offset map for walks of more than four axes. Each
 * result is held against the same movement done here on the quantized codes the model also returns.
 */

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let d = dims.length - 2; d >= 0; d--) s[d] = s[d + 1]! * dims[d + 1]!;
  return s;
}

/** out[i] = x[base + Σ idx[d]·strides[d]], output in order. */
function walk(x: ArrayLike<number>, out: readonly number[], strides: readonly number[], base = 0): number[] {
  const result: number[] = [];
  const idx = out.map(() => 0);
  for (let i = 0; i < size(out); i++) {
    result.push(x[base + idx.reduce((acc, v, d) => acc + v * strides[d]!, 0)]!);
    for (let d = out.length - 1; d >= 0; d--) {
      if (++idx[d]! < out[d]!) break;
      idx[d] = 0;
    }
  }
  return result;
}

interface Case {
  name: string;
  dims: number[];
  op: (q: string, out: string, inits: onnx.TensorProto[]) => onnx.NodeProto;
  expected: (codes: ArrayLike<number>) => { dims: number[]; values: number[] };
  /** Whether the strided byte copy runs it (a unit-axis Transpose is a view; a walk of five axes uses the map). */
  copies: boolean;
}

function transposeCase(dims: number[], perm: number[], copies = true): Case {
  return {
    name: `Transpose [${dims}] perm [${perm}]`, dims, copies,
    op: (q, out) => node("Transpose", [q], [out], [intsAttribute("perm", perm)]),
    expected: (codes) => {
      const s = stridesOf(dims);
      const out = perm.map((p) => dims[p]!);
      return { dims: out, values: walk(codes, out, perm.map((p) => s[p]!)) };
    },
  };
}

function sliceCase(dims: number[], starts: number[], ends: number[], axes: number[], steps: number[]): Case {
  return {
    name: `Slice [${dims}] starts [${starts}] ends [${ends}] axes [${axes}] steps [${steps}]`, dims, copies: true,
    op: (q, out, inits) => {
      const i64 = (name: string, v: number[]) => inits.push(makeTensor(name, "int64", [v.length], BigInt64Array.from(v.map(BigInt))));
      i64("starts", starts);
      i64("ends", ends);
      i64("axes", axes);
      i64("steps", steps);
      return node("Slice", [q, "starts", "ends", "axes", "steps"], [out]);
    },
    expected: (codes) => {
      const s = stridesOf(dims);
      const out = [...dims];
      const begin = dims.map(() => 0);
      const step = dims.map(() => 1);
      axes.forEach((a, i) => {
        const d = dims[a]!;
        const st = steps[i]!;
        let b = starts[i]! < 0 ? starts[i]! + d : starts[i]!;
        let e = ends[i]! < 0 ? ends[i]! + d : ends[i]!;
        b = st > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, 0), d - 1);
        e = st > 0 ? Math.min(Math.max(e, 0), d) : Math.min(Math.max(e, -1), d - 1);
        out[a] = Math.max(0, Math.ceil((e - b) / st));
        begin[a] = b;
        step[a] = st;
      });
      return { dims: out, values: walk(codes, out, step.map((st, d) => st * s[d]!), begin.reduce((acc, b, d) => acc + b * s[d]!, 0)) };
    },
  };
}

const CASES: Case[] = [
  transposeCase([2, 3, 4, 5], [0, 2, 1, 3]),
  transposeCase([3, 19, 8], [0, 2, 1]),
  transposeCase([2, 3, 4, 5], [3, 2, 1, 0]),
  // Runs of 16 to 256 bytes go as vectors (the last one overlapping), longer ones as block copies.
  transposeCase([2, 5, 3, 16], [0, 2, 1, 3]),
  transposeCase([3, 4, 37], [1, 0, 2]),
  transposeCase([2, 3, 256], [1, 0, 2]),
  transposeCase([2, 3, 257], [1, 0, 2]),
  sliceCase([3, 5, 40], [1, 3], [4, 23], [1, 2], [1, 1]),
  transposeCase([1, 17, 8], [1, 0, 2], false),
  transposeCase([2, 3, 2, 3, 2], [4, 3, 2, 1, 0], false),
  sliceCase([4, 6, 10], [1, 2], [6, 9], [1, 2], [1, 1]),
  sliceCase([4, 6, 10], [0, 9], [4, 0], [0, 2], [2, -3]),
];

for (const dtype of ["uint8", "int8"] as const) {
  for (const c of CASES) {
    test(`${dtype}: ${c.name} moves the codes as the operator defines`, async () => {
      const inits: onnx.TensorProto[] = [
        makeTensor("s", "float32", [], Float32Array.of(0.05)),
        makeTensor("z", dtype, [], dtype === "int8" ? Int8Array.of(3) : Uint8Array.of(128)),
      ];
      const nodes = [node("QuantizeLinear", ["x", "s", "z"], ["q"]), c.op("q", "moved", inits)];
      const bytes = modelBytes({
        name: "strided", node: nodes, initializer: inits,
        input: [valueInfo("x", "float32", c.dims)], output: [valueInfo("q", dtype, []), valueInfo("moved", dtype, [])],
      });
      const x = Float32Array.from({ length: size(c.dims) }, (_, i) => Math.sin(i * 1.7) * 6);
      const session = await createSession(bytes);
      try {
        const out = await session.run({ x: new Tensor("float32", x, c.dims) });
        const codes = out.q!.data as Uint8Array | Int8Array;
        assert.ok(new Set(codes).size > 50, "the input codes vary");
        const expected = c.expected(codes);
        assert.deepEqual([...out.moved!.dims], expected.dims);
        assert.deepEqual([...(out.moved!.data as Uint8Array | Int8Array)], expected.values);
        assert.equal((session.kernelRuns()["strided-bytes"] ?? 0) > 0, c.copies, "which path moved the bytes");
      } finally {
        await session.release();
      }
    });
  }
}
