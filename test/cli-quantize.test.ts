import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const MODEL = "examples/fmnist_cnn_op13.onnx";
const QUANTIZER = "examples/fashion-mnist/tutorial-quantizer.ts";
const CALIBRATION = "examples/fashion-mnist/calibration-images-idx3-ubyte.gz";
const TEST_IMAGES = "examples/fashion-mnist/test-images-idx3-ubyte.gz";
const TEST_LABELS = "examples/fashion-mnist/test-labels-idx1-ubyte.gz";
const NORMALIZE = ["--mean", "0.2860", "--std", "0.3530"];

function qkit(...args: string[]) {
  return spawnSync("npx", ["--no-install", "qkit", ...args], { cwd: ROOT, encoding: "utf8" });
}

function withDir(fn: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "qkit-cli-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("qkit quantize writes the QDQ model and its calibration report; qkit eval scores both models", withDir((dir) => {
  const out = path.join(dir, "nested", "fm.int8.onnx");
  const result = qkit("quantize", "--model", MODEL, "--quantizer", QUANTIZER, "--data", CALIBRATION, ...NORMALIZE, "--out", out);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /quantized .* with TutorialQuantizer: 512 calibration items/);
  assert.match(result.stdout, /observer groups\s+13/);
  assert.ok(existsSync(out));
  const report = JSON.parse(readFileSync(`${out}.calibration.json`, "utf8"));
  assert.equal(report.items, 512);
  assert.equal(report.groups.length, 13);
  const input = report.groups.find((g: { slots: { key: string }[] }) => g.slots.some((s) => s.key === "edge:input->/conv1/Conv"));
  assert.equal(input.observer, "HistogramObserver");
  assert.equal(input.scale.length, 1);
  assert.ok(input.scale[0] > 0);
  // Locations are stored relative to the report's folder.
  assert.equal(report.version, 2);
  assert.equal(path.resolve(path.dirname(out), input.spec.location.file), path.join(ROOT, QUANTIZER));
  assert.ok(input.spec.location.line >= 1 && input.spec.location.column >= 1);
  assert.deepEqual(input.range, { dtype: "int8", quantMin: -128, quantMax: 127 });

  const fp32 = qkit("eval", "--model", MODEL, "--data", TEST_IMAGES, "--labels", TEST_LABELS, ...NORMALIZE);
  const int8 = qkit("eval", "--model", out, "--data", TEST_IMAGES, "--labels", TEST_LABELS, ...NORMALIZE);
  const accuracy = (text: string) => Number(/accuracy: ([\d.]+) on 1000 items/.exec(text)![1]);
  assert.equal(fp32.status, 0, fp32.stderr);
  assert.equal(int8.status, 0, int8.stderr);
  assert.ok(Math.abs(accuracy(fp32.stdout) - accuracy(int8.stdout)) <= 0.005, `${fp32.stdout} vs ${int8.stdout}`);
}));

test("qkit calibrate --shard K/N on each shard, merge-calibration, then quantize --state: the same model as one run", withDir((dir) => {
  const states = [1, 2].map((k) => {
    const state = path.join(dir, `shard${k}.json`);
    const r = qkit("calibrate", "--model", MODEL, "--quantizer", "examples/broken/../fashion-mnist/tutorial-quantizer.ts", "--data", CALIBRATION, ...NORMALIZE, "--limit", "64", "--batch-size", "8", "--shard", `${k}/2`, "--save-state", state);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`calibrated 32 items \\(shard ${k}/2\\)`));
    return state;
  });
  const merged = path.join(dir, "merged.json");
  const m = qkit("merge-calibration", ...states, "--out", merged);
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /merged 2 states \(64 items\)/);
  const fromState = qkit("quantize", "--model", MODEL, "--quantizer", QUANTIZER, "--state", merged, "--out", path.join(dir, "a.onnx"));
  assert.equal(fromState.status, 0, fromState.stderr);
  assert.ok(existsSync(path.join(dir, "a.onnx")));
  const bad = qkit("merge-calibration", states[0]!, path.join(dir, "a.onnx"), "--out", path.join(dir, "x.json"));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /a\.onnx: cannot be read as a calibration state/);
  const shard = qkit("calibrate", "--model", MODEL, "--quantizer", QUANTIZER, "--data", CALIBRATION, "--shard", "3/2", "--save-state", path.join(dir, "s.json"));
  assert.equal(shard.status, 2);
  assert.match(shard.stderr, /--shard takes K\/N with 1 ≤ K ≤ N/);
}));

test("qkit quantize refuses a broken quantizer with its findings and writes nothing", withDir((dir) => {
  const out = path.join(dir, "x.onnx");
  const r = qkit("quantize", "--model", MODEL, "--quantizer", "examples/broken/quant-min-out-of-range.ts", "--data", CALIBRATION, "--out", out);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /quant-min-out-of-range\.ts:\d+:\d+ error quant-range-outside-dtype/);
  assert.deepEqual(readdirSync(dir), []);
  const missing = qkit("quantize", "--model", MODEL, "--quantizer", QUANTIZER, "--data", path.join(dir, "nothing"), "--out", out);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nothing: no such file or folder/);
  assert.deepEqual(readdirSync(dir), []);
}));

test("Ctrl-C during calibration stops it and leaves no output file", withDir(async (dir) => {
  const out = path.join(dir, "x.onnx");
  const debian = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  const data = existsSync(debian) ? debian : CALIBRATION;
  const child = spawn(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "quantize", "--model", MODEL, "--quantizer", QUANTIZER, "--data", data, ...NORMALIZE, "--batch-size", "1", "--out", out], { cwd: ROOT });
  let stderr = "";
  const started = new Promise<void>((resolve) => child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (/calibrating/.test(stderr)) resolve();
  }));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await Promise.race([started, exited]);
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /calibration was cancelled after \d+ inputs; nothing was written/);
  assert.deepEqual(readdirSync(dir), []);
}));

test("qkit quantize with no arguments quantizes the qkit.json targets that name calibration data and an output", withDir((dir) => {
  const { copyFileSync, mkdirSync, writeFileSync } = require("node:fs") as typeof import("node:fs");
  mkdirSync(path.join(dir, "q"));
  copyFileSync(path.join(ROOT, MODEL), path.join(dir, "net.onnx"));
  copyFileSync(path.join(ROOT, QUANTIZER), path.join(dir, "q", "mine.ts"));
  writeFileSync(path.join(dir, "qkit.json"), JSON.stringify({
    targets: [{ quantizer: "q/mine.ts", model: "net.onnx", calibration: { data: path.join(ROOT, CALIBRATION), batchSize: 32, limit: 64, mean: 0.286, std: 0.353 }, output: "out/net.int8.onnx" }],
  }));
  const r = spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "quantize"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /64 calibration items/);
  assert.ok(existsSync(path.join(dir, "out", "net.int8.onnx")));
  assert.ok(existsSync(path.join(dir, "out", "net.int8.onnx.calibration.json")));
}));

test("a qkit.json target may name a built-in quantizer instead of a file", withDir((dir) => {
  const { copyFileSync, writeFileSync } = require("node:fs") as typeof import("node:fs");
  copyFileSync(path.join(ROOT, MODEL), path.join(dir, "net.onnx"));
  writeFileSync(path.join(dir, "qkit.json"), JSON.stringify({ targets: [{ quantizer: "xnnpack", model: "net.onnx" }] }));
  const r = spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "check"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /16 of 16 operators annotated/);
}));
