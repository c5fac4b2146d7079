// What the benchmarks in scripts/bench share: statistics, seeded inputs, timing of engines side by side, tables.
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
/** The repository root (this file lives in scripts/). */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The engines the benchmarks compare: qkit's built runtime, onnxruntime-web on 1 wasm thread, onnxruntime-node. */
export function loadEngines() {
  const qkit = require(path.join(root, "runtime", "dist", "src", "tooling.js"));
  const ortWeb = require("onnxruntime-web");
  const ortNode = require("onnxruntime-node");
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.logLevel = "error";
  return { qkit, ortWeb, ortNode };
}

/** Milliseconds with three significant digits or so, as the tables print them. */
export const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

/** The 1-minute load average with the core count, as every benchmark prints it beside its numbers. */
export const loadAverage = () => `${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores`;

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

/** n float32 values in [-1, 1) from a linear congruential generator: the same inputs on every run and machine. */
export function randomInput(n, seed = 12345) {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

/** Warm-up per engine: this many runs, or as many as fit in WARMUP_MS (at least one). */
const WARMUP_RUNS = 100;
const WARMUP_MS = 300;

/**
 * Median milliseconds per engine, sampled in turn so that the machine's load affects all of them alike, each round
 * starting one engine later (A B C, B C A, C A B, …): an engine run right after another finds the caches as that one
 * left them, and with a fixed order the same engine always paid for it (a 0.2 ms model measured 1–7% slower in
 * whichever place it had). Each engine is warmed up first (plans, ONNX Runtime's first-run setup, and WebAssembly
 * tier-up: V8 runs a module's baseline code until a function has run enough, which a small model's first few dozen
 * runs do not reach).
 */
export async function measure(engines, samples) {
  const times = Object.fromEntries(Object.keys(engines).map((k) => [k, []]));
  for (const run of Object.values(engines)) {
    const start = performance.now();
    for (let i = 0; i < WARMUP_RUNS && (i === 0 || performance.now() - start < WARMUP_MS); i++) await run();
  }
  const order = Object.entries(engines);
  for (let i = 0; i < samples; i++) {
    for (let j = 0; j < order.length; j++) {
      const [name, run] = order[(i + j) % order.length];
      const t = performance.now();
      await run();
      times[name].push(performance.now() - t);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** A Markdown table with padded columns, as the README quotes them. */
export function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((x, i) => String(x).padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
