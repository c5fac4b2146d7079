import { test } from "node:test";
import assert from "node:assert/strict";
import { finiteMinMaxIntoJs, histcIntoJs, minMaxIntoJs } from "../src/observers/scan.js";
import { wasmFiniteMinMaxInto, wasmHistcInto, wasmMinMaxInto } from "../src/observers/scan-wasm.js";

let seed = 11;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);

/** Data that stresses the scans: odd lengths, signed zeros, infinities, NaN, values on bin edges. */
function samples(): Float32Array[] {
  const out: Float32Array[] = [];
  for (const n of [1, 3, 4, 15, 16, 17, 1000, 4099, 65537]) {
    out.push(Float32Array.from({ length: n }, () => (random() - 0.3) * 8));
    out.push(Float32Array.from({ length: n }, (_, i) => [0, -0, Infinity, -Infinity, 1e-30, -2.5][i % 6]!));
    const edges = Float32Array.from({ length: n }, (_, i) => -1 + (i % 2049) * (4 / 2048));
    out.push(edges);
  }
  const withNaN = Float32Array.from({ length: 5000 }, () => random());
  withNaN[4321] = NaN;
  out.push(withNaN);
  return out;
}

test("the WebAssembly scans give exactly the TypeScript reference's results", () => {
  const a = new Float64Array(2);
  const b = new Float64Array(2);
  for (const data of samples()) {
    minMaxIntoJs(data, a);
    assert.ok(wasmMinMaxInto(data, b), "the observers' WebAssembly module is built and loads");
    // Equal up to the sign of a zero (wasm's min(-0, 0) is -0; the qparams never see the difference).
    assert.deepEqual(Array.from(b).map((x) => x + 0), Array.from(a).map((x) => x + 0), `minMax of ${data.length}`);
    const fa = finiteMinMaxIntoJs(data, a);
    const fb = wasmFiniteMinMaxInto(data, b);
    assert.equal(fb, fa, `finite count of ${data.length}`);
    assert.deepEqual(Array.from(b).map((x) => x + 0), Array.from(a).map((x) => x + 0));
    for (const [lo, hi, bins] of [[-1, 3, 2048], [-0.5, 0.5, 7], [0, 1e-20, 16]] as const) {
      const ha = new Float32Array(bins).fill(0.5);
      const hb = ha.slice();
      histcIntoJs(data, Math.fround(lo), Math.fround(hi), ha);
      assert.ok(wasmHistcInto(data, Math.fround(lo), Math.fround(hi), hb));
      assert.deepEqual(Array.from(hb), Array.from(ha), `histc of ${data.length} over [${lo}, ${hi}] in ${bins} bins`);
    }
  }
});
