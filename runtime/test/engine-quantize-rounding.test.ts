import { test } from "node:test";
import assert from "node:assert/strict";
import { makeTensor, Tensor } from "../src/tooling.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

/**
 * QuantizeLinear per tensor to bytes (the kernel every quantized epilogue shares its rounding with): round half to
 * even of the float32 quotient, plus the zero point, saturated — ties on both sides of zero, values far beyond the
 * range and ±Infinity included, through the vector loop and the scalar tail alike.
 */
for (const [dtype, zp, lo, hi] of [["uint8", 128, 0, 255], ["int8", -3, -128, 127]] as const) {
  test(`QuantizeLinear to ${dtype} rounds ties to even and saturates, ±Infinity included`, async () => {
    const scale = 0.5;
    const values: number[] = [];
    for (let k = -140; k <= 140; k++) values.push(k * scale + scale / 2, k * scale, k * scale + 0.1);
    values.push(1e12, -1e12, 3e9, -3e9, Infinity, -Infinity, 0, -0);
    const x = Float32Array.from(values);
    const bytes = modelBytes({
      name: "q",
      initializer: [makeTensor("s", "float32", [], Float32Array.of(scale)), makeTensor("z", dtype, [], dtype === "int8" ? Int8Array.of(zp) : Uint8Array.of(zp))],
      node: [node("QuantizeLinear", ["x", "s", "z"], ["y"])],
      input: [valueInfo("x", "float32", [x.length])],
      output: [valueInfo("y", dtype, [x.length])],
    });
    const session = await createSession(bytes);
    let y;
    try {
      y = (await session.run({ x: new Tensor("float32", x, [x.length]) })).y!.data as Uint8Array | Int8Array;
    } finally {
      await session.release();
    }
    const even = (v: number) => {
      const r = Math.round(v);
      return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    for (let i = 0; i < x.length; i++) {
      const q = Math.fround(x[i]! / scale);
      const expected = q === Infinity ? hi : q === -Infinity ? lo : Math.min(hi, Math.max(lo, even(q) + zp));
      assert.equal(y[i], expected, `x = ${x[i]}`);
    }
  });
}
