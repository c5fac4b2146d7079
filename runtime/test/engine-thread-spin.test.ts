import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { attributes, makeTensor } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { Kernels } from "../src/engine/kernels/kernels.js";
import { CONTENDED_RUNS, RUN_SPIN_MS } from "../src/engine/kernels/thread-protocol.js";
import { createSession } from "../src/session/create-session.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

// While a model run is in progress the pool's worker polls for the next call instead of sleeping, so no parallel call
// of the run pays its wake-up; between runs it sleeps. What is asserted is what the pool counts (calls that found the
// worker asleep, workers asleep now), never a time. A worker the system deschedules while it polls sleeps instead (a
// machine with more threads than cores), and sleeps through the next CONTENDED_RUNS runs; and it sleeps once
// RUN_SPIN_MS pass without a call, which a busy machine's descheduling of the calling thread can make happen. A trial
// where either may have happened says nothing, and a later one is taken.

const TRIALS = 300;
/**
 * Runs before the counting starts: the worker's polling loop runs unoptimized at first, and polls take far longer
 * then (a worker that should sleep after a fraction of a millisecond takes milliseconds to).
 */
const WARM_UP = 20;
/** Trials that count before a test passes. */
const COUNTED = 5;

/** A float call big enough to be split over two threads (the clamp of the thread-split test). */
function splitCall(k: Kernels): () => void {
  const n = 1 << 19;
  const x = k.allocF32(n);
  const y = k.allocF32(n);
  x.fill(-2);
  return () => k.eltwise.clamp(x, y, n, 0, Infinity);
}

/**
 * Tells whether a trial counts: after the warm-up, no worker descheduled in it or in the runs it sat out for, and
 * shorter than RUN_SPIN_MS all told (so no gap between its calls reached the cap). A worker may find out it was
 * descheduled only after the run that it was descheduled in: the count is compared with the one the last trial saw.
 */
function counts(k: Kernels): (trial: number, runMs: number) => boolean {
  let contendedUntil = WARM_UP;
  let seen = k.preemptions;
  return (trial, runMs) => {
    if (k.preemptions !== seen) contendedUntil = Math.max(contendedUntil, trial + CONTENDED_RUNS + 1);
    seen = k.preemptions;
    return trial >= contendedUntil && runMs < RUN_SPIN_MS;
  };
}

/** Busy the calling thread for `ms` (a serial step of a run: pooling, a small layer, JavaScript between kernels). */
function serialStretch(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (Number.isNaN(x)) throw new Error("unreachable");
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await sleep(5);
  assert.ok(condition(), what);
}

test("within a run no parallel call finds the worker asleep, across serial stretches between calls", async (t) => {
  const k = new Kernels({ threads: 2 });
  try {
    const call = splitCall(k);
    const counted = counts(k);
    let passed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const asleep = k.asleepCalls;
      const threaded = k.threadedCalls;
      const start = performance.now();
      k.beginRun();
      try {
        for (let i = 0; i < 6; i++) {
          call();
          serialStretch(1);
        }
      } finally {
        k.endRun();
      }
      const runMs = performance.now() - start;
      assert.equal(k.threadedCalls - threaded, 6, "every call went to the threads");
      if (!counted(trial, runMs)) continue;
      // The run's first call may still find the worker waking from the run's start; the five after must not.
      assert.ok(k.asleepCalls - asleep <= 1, `${k.asleepCalls - asleep} of 6 calls found the worker asleep`);
      if (++passed === COUNTED) return;
    }
    t.skip(`only ${passed} of ${TRIALS} trials had neither a worker nor the run descheduled: the machine has more threads to run than cores`);
  } finally {
    await k.close();
  }
});

test("between runs the worker sleeps", async () => {
  const k = new Kernels({ threads: 2 });
  try {
    const call = splitCall(k);
    for (let run = 0; run < 3; run++) {
      k.beginRun();
      try {
        call();
      } finally {
        k.endRun();
      }
      await until(() => k.workersAsleep === 1, `the worker sleeps once run ${run} is over`);
    }
  } finally {
    await k.close();
  }
});

/**
 * Conv → four steps of scalar JavaScript (Sin, Cos: serial, each a fraction of a millisecond) → Conv → the four again
 * → Conv: a run whose parallel steps have serial stretches between them longer than a worker's brief polling.
 */
function convsWithSerialStretches(): { bytes: Uint8Array; feeds: Record<string, Tensor> } {
  const C = 32, H = 40;
  const weights = (name: string) => makeTensor(name, "float32", [C, C, 3, 3], new Float32Array(C * C * 9).map((_, i) => Math.sin(i) * 0.05));
  const conv = (x: string, w: string, y: string) =>
    node("Conv", [x, w], [y], [attributes.intsAttribute("kernel_shape", [3, 3]), attributes.intsAttribute("pads", [1, 1, 1, 1])]);
  const serial = (x: string, y: string) => [
    node("Sin", [x], [`${y}1`]), node("Cos", [`${y}1`], [`${y}2`]), node("Sin", [`${y}2`], [`${y}3`]), node("Cos", [`${y}3`], [y]),
  ];
  const bytes = modelBytes({
    name: "convs-with-serial-stretches",
    node: [conv("x", "w1", "a"), ...serial("a", "s"), conv("s", "w2", "b"), ...serial("b", "t"), conv("t", "w1", "y")],
    input: [valueInfo("x", "float32", [1, C, H, H])],
    output: [valueInfo("y", "float32", [])],
    initializer: [weights("w1"), weights("w2")],
  });
  const x = new Float32Array(C * H * H).map((_, i) => Math.cos(i * 0.01));
  return { bytes, feeds: { x: new Tensor("float32", x, [1, C, H, H]) } };
}

test("a session's runs keep the worker up from one parallel step to the next", async (t) => {
  const { bytes, feeds } = convsWithSerialStretches();
  const session = await createSession(bytes, { threads: 2 });
  const k = (session as unknown as { kernels: Kernels }).kernels;
  try {
    const serial = await createSession(bytes, { threads: 1 });
    const expected = serial.runSync(feeds).y!.data as Float32Array;
    await serial.release();
    const counted = counts(k);
    let passed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const asleep = k.asleepCalls;
      const threaded = k.threadedCalls;
      const start = performance.now();
      const y = session.runSync(feeds).y!.data as Float32Array;
      const runMs = performance.now() - start;
      assert.deepEqual(y, expected);
      assert.ok(k.threadedCalls - threaded >= 3, "the three convolutions went to the threads");
      if (!counted(trial, runMs)) continue;
      assert.ok(k.asleepCalls - asleep <= 1, `${k.asleepCalls - asleep} calls found the worker asleep after the run's first`);
      if (++passed === COUNTED) return;
    }
    t.skip(`only ${passed} of ${TRIALS} trials had neither a worker nor the run descheduled: the machine has more threads to run than cores`);
  } finally {
    await session.release();
  }
});

test("a model that makes no parallel call never wakes the worker", async () => {
  // Four scalar steps over a small tensor: nothing in it reaches the threads' threshold.
  const n = 1 << 14;
  const bytes = modelBytes({
    name: "serial-only",
    node: [node("Sin", ["x"], ["a"]), node("Cos", ["a"], ["b"]), node("Sin", ["b"], ["c"]), node("Cos", ["c"], ["y"])],
    input: [valueInfo("x", "float32", [n])],
    output: [valueInfo("y", "float32", [])],
  });
  const feeds = { x: new Tensor("float32", new Float32Array(n).map((_, i) => i / n), [n]) };
  const session = await createSession(bytes, { threads: 2 });
  const k = (session as unknown as { kernels: Kernels }).kernels;
  try {
    await until(() => k.workersAsleep === 1, "the worker sleeps before any run");
    const wakes = k.workerWakes;
    for (let run = 0; run < 20; run++) session.runSync(feeds);
    assert.equal(k.threadedCalls, 0, "nothing went to the threads");
    assert.equal(k.workerWakes - wakes, 0, "the runs' starts left the worker asleep");
  } finally {
    await session.release();
  }
});

test("a call too small to pay a worker's wake-up is split while the worker polls, and not otherwise", async (t) => {
  const k = new Kernels({ threads: 2 });
  try {
    const big = splitCall(k);
    // 2^17 floats of clamp weigh 2^20 (WINDOW_COST each): below the threshold of a sleeping worker, above a polling one's.
    const n = 1 << 17;
    const x = k.allocF32(n);
    const y = k.allocF32(n);
    x.fill(-3);
    const small = () => k.eltwise.clamp(x, y, n, 0, Infinity);
    await until(() => k.workersAsleep === 1, "the worker sleeps outside runs");
    let threaded = k.threadedCalls;
    small();
    assert.equal(k.threadedCalls - threaded, 0, "with the worker asleep the call stays on this thread");
    assert.ok(y.every((v) => v === 0));
    for (let trial = 0; trial < TRIALS; trial++) {
      k.beginRun();
      try {
        big();
        serialStretch(0.05);
        if (!k.workersPolling) continue;
        y.fill(1);
        threaded = k.threadedCalls;
        small();
        assert.equal(k.threadedCalls - threaded, 1, "with the worker polling the call is split");
        assert.ok(y.every((v) => v === 0));
        return;
      } finally {
        k.endRun();
      }
    }
    t.skip("the worker was never polling: the machine has more threads to run than cores");
  } finally {
    await k.close();
  }
});
