import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { chromeTrace, loadModel, summarizeProfile } from "../src/tooling.js";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { encodeNpy } from "../src/data/npy.js";
import { runCommand } from "../src/cli/run-command.js";
import { EXAMPLES, withTempDir } from "./helpers/data.js";

const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
const input = () => new Tensor("float32", new Float32Array(784).map((_, i) => Math.sin(i * 0.1)), [1, 1, 28, 28]);

const QKIT = path.resolve(__dirname, "..", "..", "bin", "qkit.js");

test("run(feeds, { profile: true }) times every node of the plan; endProfiling() hands the runs over once", async () => {
  const session = await createSession(MODEL);
  try {
    const feeds = { input: input() };
    const plain = await session.run(feeds);
    assert.deepEqual(session.endProfiling(), { runs: [], events: [] }, "an unprofiled run records nothing");
    const profiled = await session.run(feeds, { profile: true });
    await session.run(feeds, { profile: true });
    assert.deepEqual(profiled.logits!.data, plain.logits!.data, "profiling does not change results");
    const profile = session.endProfiling();
    const steps = session.planFor(feeds).steps;
    assert.equal(profile.runs.length, 2);
    assert.equal(profile.events.length, 2 * steps.length);
    assert.deepEqual(profile.events.slice(0, steps.length).map((e) => e.node), steps.map((s) => s.node.name));
    for (const e of profile.events) {
      const run = profile.runs[e.run]!;
      assert.ok(e.durUs >= 0 && e.startUs >= run.startUs && e.startUs + e.durUs <= run.startUs + run.durUs + 1, `${e.node} lies within its run`);
    }
    const conv = profile.events.find((e) => e.node === "/conv1/Conv")!;
    assert.equal(conv.opType, "Conv");
    assert.deepEqual(conv.inputShapes[0], [1, 1, 28, 28]);
    assert.equal(conv.outputShapes.length, 1);
    assert.deepEqual(conv.fused, ["/relu1/Relu"], "the Relu run in the convolution's epilogue is named");
    assert.deepEqual(session.endProfiling().events, [], "endProfiling() starts over");

    const summary = summarizeProfile(profile);
    assert.equal(summary.runs, 2);
    assert.equal(summary.byNode.length, steps.length);
    assert.ok(Math.abs(summary.byOpType.reduce((a, r) => a + r.percent, 0) - 100) < 1e-6);
    assert.equal(summary.byOpType.find((r) => r.name === "Conv")!.nodes, steps.filter((s) => s.node.opType === "Conv").length);
    for (let i = 1; i < summary.byNode.length; i++) assert.ok(summary.byNode[i - 1]!.usPerRun >= summary.byNode[i]!.usPerRun);
  } finally {
    await session.release();
  }
});

test("enableProfiling profiles every run", async () => {
  const session = await createSession(MODEL, { enableProfiling: true });
  try {
    await session.run({ input: input() });
    await session.run({ input: input() });
    assert.equal(session.endProfiling().runs.length, 2);
  } finally {
    await session.release();
  }
});

test("the Chrome trace has one complete event per node and run, in microseconds, named by node, with op type and shapes", async () => {
  const session = await createSession(MODEL);
  try {
    await session.run({ input: input() }, { profile: true });
    const profile = session.endProfiling();
    const trace = JSON.parse(JSON.stringify(chromeTrace(profile))) as { traceEvents: Record<string, unknown>[]; displayTimeUnit: string };
    assert.ok(Array.isArray(trace.traceEvents));
    const complete = trace.traceEvents.filter((e) => e.ph === "X");
    const nodes = complete.filter((e) => e.cat === "node");
    const names = new Set((await loadModel(MODEL)).graph.calls().map((n) => n.name));
    assert.equal(nodes.length, profile.events.length);
    for (const e of complete) {
      assert.equal(typeof e.ts, "number");
      assert.equal(typeof e.dur, "number");
      assert.ok((e.dur as number) >= 0 && Number.isFinite(e.ts as number));
      assert.equal(typeof e.pid, "number");
      assert.equal(typeof e.tid, "number");
    }
    for (const e of nodes) {
      assert.ok(names.has(e.name as string), `${String(e.name)} is a node of the model`);
      const args = e.args as { op_type: string; input_shapes: unknown[]; output_shapes: number[][] };
      assert.equal(typeof args.op_type, "string");
      assert.ok(Array.isArray(args.input_shapes) && Array.isArray(args.output_shapes[0]));
    }
    // Microseconds: the run event spans its nodes, as the profile's own numbers say.
    const run = complete.find((e) => e.cat === "session")!;
    assert.equal(run.dur, profile.runs[0]!.durUs);
    assert.ok(nodes.every((e) => (e.ts as number) >= (run.ts as number)));
  } finally {
    await session.release();
  }
});

test("qkit run --profile prints time per op type and per node and writes the trace atomically", async () => {
  await withTempDir(async (dir) => {
    writeFileSync(path.join(dir, "x.npy"), encodeNpy(input()));
    const trace = path.join(dir, "trace.json");
    const run = spawnSync(process.execPath, [QKIT, "run", MODEL, "-i", path.join(dir, "x.npy"), "-o", path.join(dir, "out"), "--profile",
      "--profile-out", trace, "--profile-runs", "3", "--profile-top", "4"], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const out = run.stdout;
    assert.match(out, /profile: 3 runs, median [\d.]+ ms per run/);
    assert.match(out, /per op type:\n\s+op type\s+nodes\s+ms\/run\s+share\n\s+\w+/);
    assert.match(out, /per node \(top 4 of 10\):/);
    assert.match(out, /\/conv\d\/Conv\s+Conv\s+\[1, \d+, \d+, \d+\]\s+[\d.]+\s+[\d.]+%/);
    const parsed = JSON.parse(readFileSync(trace, "utf8")) as { traceEvents: { ph: string; cat?: string }[] };
    assert.equal(parsed.traceEvents.filter((e) => e.cat === "node").length, 3 * 10);
    assert.deepEqual(readdirSync(dir).sort(), ["out", "trace.json", "x.npy"], "no temp file is left beside the trace");
    await assert.rejects(runCommand.run([MODEL, "-i", path.join(dir, "x.npy"), "--profile-runs", "0"]), /--profile-runs must be a positive integer/);
  });
});
