import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { CONTENDED_RUNS, SLOW_JOINS_PER_RUN } from "../src/engine/kernels/thread-protocol.js";

// A parallel call waits for the workers' chunks; when they finish long after the calling thread's own (the system did
// not give the workers a core), the pool keeps the run's calls, and the next CONTENDED_RUNS runs', on the calling
// thread, then splits them again. What is asserted is what the pool counts, never a time: a slow join is made by
// handing the worker a chunk far larger than the caller's, and a trial where the caller took the large one says
// nothing (a later one is taken).

const TRIALS = 50;

test("slow joins keep a run's calls and the next runs' on one thread, then calls split again", async (t) => {
  const k = new Kernels({ threads: 2 });
  try {
    const n = 1 << 22;
    const x = k.allocF32(n);
    const y = k.allocF32(n);
    x.fill(-2);
    const xp = x.byteOffset;
    const yp = y.byteOffset;
    // Two chunks: four floats, then the rest. The caller claims the first chunk as it opens the call (unless a polling
    // worker beats it to it), so the worker's chunk is the large one and the caller waits on it.
    const uneven = () =>
      k.parallel("clamp", 2, 1 << 30, (_lo, _hi, c) => (c === 0 ? [xp, yp, 4, 0, Infinity] : [xp + 16, yp + 16, n - 4, 0, Infinity]), 2);
    const split = () => k.eltwise.clamp(x, y, n, 0, Infinity);
    const threadedBy = (call: () => void) => {
      const before = k.threadedCalls;
      y.fill(1);
      call();
      assert.ok(y.every((v) => v === 0), "every share ran");
      return k.threadedCalls - before;
    };
    for (let trial = 0; trial < TRIALS; trial++) {
      const spells = k.serialSpells;
      k.beginRun();
      try {
        // A split call wakes the worker; it polls for the next call from then on, unless the system deschedules it.
        split();
        for (let i = 0; i < 1000 && !k.workersPolling; i++) split();
        for (let i = 0; i < SLOW_JOINS_PER_RUN; i++) uneven();
        if (k.serialSpells === spells) continue;
        assert.equal(threadedBy(split), 0, "after the slow joins the run's calls stay on this thread");
      } finally {
        k.endRun();
      }
      assert.equal(threadedBy(split), 1, "outside a run a call is split as before");
      for (let run = 1; run <= CONTENDED_RUNS; run++) {
        k.beginRun();
        try {
          assert.equal(threadedBy(split), 0, `run ${run} after the slow joins keeps its calls on this thread`);
        } finally {
          k.endRun();
        }
      }
      k.beginRun();
      try {
        assert.equal(threadedBy(split), 1, "the run after those is split again");
      } finally {
        k.endRun();
      }
      assert.equal(k.serialSpells, spells + 1);
      return;
    }
    t.skip(`in ${TRIALS} trials the worker never took the large chunk: it was not running`);
  } finally {
    await k.close();
  }
});

test("a run whose joins are not slow keeps splitting its calls", async () => {
  const k = new Kernels({ threads: 2 });
  try {
    const n = 1 << 20;
    const x = k.allocF32(n);
    const y = k.allocF32(n);
    x.fill(-2);
    // Even shares: the caller's chunks take as long as the worker's, so no join waits longer than the caller worked —
    // unless the system descheduled the worker, which the pool then counts as a slow join; such runs say nothing.
    let counted = 0;
    for (let run = 0; run < 200 && counted < 20; run++) {
      const slow = k.slowJoins;
      const threaded = k.threadedCalls;
      k.beginRun();
      try {
        for (let i = 0; i < 4; i++) k.eltwise.clamp(x, y, n, 0, Infinity);
      } finally {
        k.endRun();
      }
      if (k.slowJoins !== slow || k.serialSpells !== 0) break;
      assert.equal(k.threadedCalls - threaded, 4);
      counted++;
    }
    assert.ok(y.every((v) => v === 0));
  } finally {
    await k.close();
  }
});
