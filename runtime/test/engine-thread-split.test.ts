import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { PARALLEL_KERNELS } from "../src/engine/kernels/families.js";
import { INTEGER_COST, INTEGER_KERNELS, WINDOW_COST } from "../src/engine/kernels/cost.js";

// Which calls go to the threads. An integer kernel's multiply-adds take a fraction of a float one's time, so a call of
// the same work that a float kernel would split stays on one thread (int8 MobileNet-V3-Small ran slower on two).

test("every parallel kernel of the integer families is weighed as one", () => {
  const integer = PARALLEL_KERNELS.filter((name) => name.startsWith("q"));
  assert.deepEqual([...INTEGER_KERNELS].sort(), [...integer].sort());
});

test("an integer kernel call splits over the threads only when its weighted work reaches the threshold", async () => {
  const k = new Kernels({ threads: 2 });
  try {
    const table = k.view(Uint8Array, k.heap.alloc(256), 256);
    for (let i = 0; i < 256; i++) table[i] = 255 - i;
    // A float call of WINDOW_COST · n work is split from n = 2^18 on; an integer one from n = 2^18 / INTEGER_COST.
    const threshold = (1 << 21) / WINDOW_COST;
    for (const [n, threaded] of [[threshold * 2, false], [Math.ceil(threshold / INTEGER_COST) + 64, true]] as const) {
      const x = k.view(Uint8Array, k.heap.alloc(n), n);
      const y = k.view(Uint8Array, k.heap.alloc(n), n);
      for (let i = 0; i < n; i++) x[i] = (i * 7) & 0xff;
      const before = k.threadedCalls;
      const xp = x.byteOffset;
      const yp = y.byteOffset;
      k.parallel("qlut", n, WINDOW_COST * n, (i0, i1) => [xp + i0, yp + i0, i1 - i0, table.byteOffset, 0]);
      assert.equal(k.threadedCalls - before, threaded ? 1 : 0, `${n} codes ${threaded ? "split" : "on one thread"}`);
      for (let i = 0; i < n; i++) if (y[i] !== 255 - x[i]!) assert.fail(`${n} codes: y[${i}] = ${y[i]}, expected ${255 - x[i]!}`);
    }
    // The float kernels keep their threshold: the same work on floats is split.
    const n = threshold * 2;
    const xf = k.allocF32(n);
    const yf = k.allocF32(n);
    xf.fill(-2);
    const before = k.threadedCalls;
    k.eltwise.clamp(xf, yf, n, 0, Infinity);
    assert.equal(k.threadedCalls - before, 1);
    assert.ok(yf.every((v) => v === 0));
  } finally {
    await k.close();
  }
});
