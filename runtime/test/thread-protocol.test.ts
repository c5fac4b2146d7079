import { test } from "node:test";
import assert from "node:assert/strict";
import { chunkCount, claimChunk, CTRL_COUNT, CTRL_INTS, CTRL_NEXT } from "../src/engine/kernels/thread-protocol.js";

/** A control block with a call of `count` chunks open, as ThreadPool.run opens one. */
function openCall(generation: number, count: number): Int32Array {
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_INTS * 4));
  Atomics.store(ctrl, CTRL_COUNT, count);
  Atomics.store(ctrl, CTRL_NEXT, (generation << 16) | (count << 8));
  return ctrl;
}

test("the calling thread claims chunks from the front and workers from the back, each chunk once", () => {
  const ctrl = openCall(7, 5);
  assert.equal(chunkCount(ctrl), 5);
  // With two threads at the same pace, each takes the same half of every call: the caller the first chunks.
  assert.deepEqual([claimChunk(ctrl, false), claimChunk(ctrl, true), claimChunk(ctrl, false), claimChunk(ctrl, true)], [0, 4, 1, 3]);
  // A thread that is alone (the other descheduled) takes the rest from its own end.
  assert.equal(claimChunk(ctrl, true), 2);
  assert.equal(claimChunk(ctrl, false), -1);
  assert.equal(claimChunk(ctrl, true), -1);
});

test("a claim read before a later call opened does not take that call's chunk", () => {
  const ctrl = openCall(1, 4);
  const stale = Atomics.load(ctrl, CTRL_NEXT);
  // The next call opens (a new generation) with the same chunk count before the slow worker's compare-and-swap.
  Atomics.store(ctrl, CTRL_NEXT, (2 << 16) | (4 << 8));
  assert.notEqual(Atomics.compareExchange(ctrl, CTRL_NEXT, stale, stale - 0x100), stale);
  assert.deepEqual([claimChunk(ctrl, true), claimChunk(ctrl, false)], [3, 0]);
});
