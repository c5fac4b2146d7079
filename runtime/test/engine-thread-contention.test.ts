import { test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import { Worker } from "node:worker_threads";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { WINDOW_COST } from "../src/engine/kernels/cost.js";
import { SERIAL_RUNS, SLOW_JOINS_PER_RUN } from "../src/engine/kernels/thread-protocol.js";

// A parallel call waits for the workers' chunks; when they finish long after the calling thread's own (the system did
// not give the workers a core), the pool keeps the run's calls, and the next SERIAL_RUNS runs', on the calling
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
      for (let run = 1; run <= SERIAL_RUNS; run++) {
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

/** Busy threads, one per core, so that a worker polling beside them is descheduled; `stop` ends them. */
function hogs(): { stop: () => Promise<void> } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const threads = os.cpus().map(() => new Worker(
    "const f = new Int32Array(require('node:worker_threads').workerData); let x = 0; while (Atomics.load(f, 0) === 0) x += Math.sqrt(x + 1);",
    { eval: true, workerData: flag.buffer },
  ));
  return {
    stop: async () => {
      Atomics.store(flag, 0, 1);
      await Promise.all(threads.map((w) => new Promise((resolve) => { w.once("exit", resolve); })));
    },
  };
}

test("while a descheduled worker sleeps between calls, only calls worth its wake-up are split", async (t) => {
  const k = new Kernels({ threads: 2 });
  try {
    // Clamp weighs WINDOW_COST per float: `mid` lies between the thresholds of a run whose workers poll or wake per
    // call (2^21) and one whose workers sleep between calls (2^23), `large` above both.
    const mid = (1 << 22) / WINDOW_COST;
    const large = (1 << 24) / WINDOW_COST;
    const x = k.allocF32(large);
    const y = k.allocF32(large);
    x.fill(-2);
    const threadedBy = (n: number) => {
      const before = k.threadedCalls;
      y.fill(1);
      k.eltwise.clamp(x, y, n, 0, Infinity);
      assert.ok(y.subarray(0, n).every((v) => v === 0), "every share ran");
      return k.threadedCalls - before;
    };
    // The worker polls through runs until the busy threads take its core away.
    const busy = hogs();
    const preemptions = k.preemptions;
    try {
      for (let i = 0; i < 400 && k.preemptions === preemptions; i++) {
        k.beginRun();
        try {
          threadedBy(mid);
          await new Promise((resolve) => setTimeout(resolve, 5));
        } finally {
          k.endRun();
        }
      }
    } finally {
      await busy.stop();
    }
    if (k.preemptions === preemptions) {
      t.skip("the worker was never descheduled: the machine has cores to spare beside the busy threads");
      return;
    }
    const spells = k.serialSpells;
    k.beginRun();
    try {
      assert.equal(threadedBy(mid), 0, "a call below a wake-up's worth stays on this thread");
      const split = threadedBy(large);
      // Slow joins would keep the call on this thread too (the worker may still be waking): that trial says nothing.
      if (k.serialSpells === spells) assert.equal(split, 1, "a call worth a wake-up is split");
    } finally {
      k.endRun();
    }
    assert.equal(threadedBy(mid), 1, "outside a run the call is split as before");
  } finally {
    await k.close();
  }
});
