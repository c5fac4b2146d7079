import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { ints } from "./helpers/integer-oracle.js";

// QGlobalAveragePool's plane sums (16 codes a step, the rest one by one) against a plain sum: plane sizes below, at
// and past a vector, 7×7, 14×14 and 56×56 planes, all-255 and all −128 planes (the largest lane sums), u8 and s8.

const SIZES = [1, 15, 16, 17, 49, 196, 3136];

test("integer plane sums equal the plain sum of every plane (u8 and s8, every size's tail)", async () => {
  const k = new Kernels({ threads: 1 });
  try {
    for (const signed of [false, true]) for (const size of SIZES) {
      const planes = 5;
      const values = ints(planes * size, signed ? -128 : 0, signed ? 127 : 255, size + (signed ? 1 : 0));
      values.fill(signed ? -128 : 255, 3 * size, 4 * size);
      const words = k.allocF32(Math.ceil((planes * size) / 4) + 4);
      const x = signed ? new Int8Array(words.buffer, words.byteOffset, planes * size) : new Uint8Array(words.buffer, words.byteOffset, planes * size);
      x.set(values);
      const sums = k.qwindow.createSums(planes, (n) => k.allocF32(n));
      k.qwindow.sumPlanes(x as Uint8Array, sums, planes, size, signed);
      for (let p = 0; p < planes; p++) {
        const expected = values.slice(p * size, (p + 1) * size).reduce((a, v) => a + v, 0);
        assert.equal(sums[p], expected, `${signed ? "s8" : "u8"} plane ${p} of ${size}`);
      }
    }
  } finally {
    await k.close();
  }
});
