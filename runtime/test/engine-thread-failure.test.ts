import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { UNARY_OPS } from "../src/engine/kernels/unary.js";

// A kernel call split over threads that fails (here: reading past the end of memory) fails as a whole, whichever
// thread met the failure, with the reason; and it leaves nothing behind: no chunk still running, no error flag that
// the next call would trip over.
test("a threaded kernel call that fails throws its reason, and the next call on the same kernels runs clean", async () => {
  const k = new Kernels({ threads: 2 });
  try {
    const n = 1 << 21;
    const x = k.allocF32(n);
    const y = k.allocF32(n);
    x.fill(0);
    x.set(Array.from({ length: 64 }, (_, i) => i - 32));
    const beyond = k.memory.buffer.byteLength + (1 << 20);
    // Shares of `count` floats from `xp` to `yp`, as the unary family splits its calls.
    const abs = (xp: number, yp: number) => k.parallel("unary", n / 4, n * 4, (v0, v1) => [UNARY_OPS.Abs, xp + v0 * 16, yp + v0 * 16, (v1 - v0) * 4, 0, 0, -Infinity, Infinity]);
    for (let round = 0; round < 50; round++) {
      // The source lies past the end of memory for every chunk, so both threads fail.
      assert.throws(() => abs(beyond, y.byteOffset),
        (e: Error) => /memory access out of bounds|failed on a worker thread \(RuntimeError: memory access out of bounds/.test(e.message));
      y.fill(-1);
      abs(x.byteOffset, y.byteOffset);
      for (let i = 0; i < 64; i++) assert.equal(y[i], Math.abs(i - 32), `round ${round}: y[${i}]`);
      assert.equal(y[n - 1], 0);
    }
  } finally {
    await k.close();
  }
});
