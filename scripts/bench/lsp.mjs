// `npm run bench -- lsp`: the language server on ResNet-18 with the tutorial quantizer (every Conv/Add/Relu/Gemm
// annotated), driven over stdio by a real JSON-RPC client as an editor would. Measures the time from didChange to
// the publishDiagnostics that carries that version's check results (median and p95 over 50 edits; a publish pairs a
// version's type errors and findings, so this is the complete diagnostics), where that time goes (the server's
// per-check timings from qkit/status), the CPU each edit costs the server and its sandboxes, hover latency, and the
// server's resident memory: steady (idle after the edits) and peak. Targets: p95 <= 300 ms, hover <= 30 ms, RSS <= 250 MB steady, 300 MB peak.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { median, p95 } from "../bench-support.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const rpc = require("vscode-languageserver-protocol/node");

const models = process.env.QKIT_SHARED_MODELS ?? path.join(root, "..", "shared", "models");
const modelPath = path.join(models, "resnet18_op13.onnx");
if (!existsSync(modelPath)) {
  console.log(`lsp: skipped, ${modelPath} not found (set QKIT_SHARED_MODELS)`);
  process.exit(0);
}
const EDITS = Number(process.env.QKIT_BENCH_EDITS ?? 50);
const HOVERS = 50;
const quantizer = path.join(root, "examples", "fashion-mnist", "tutorial-quantizer.ts");
const text = readFileSync(quantizer, "utf8");
const uri = pathToFileURL(quantizer).href;
const workspace = mkdtempSync(path.join(tmpdir(), "qkit-bench-lsp-"));
writeFileSync(path.join(workspace, "qkit.json"), JSON.stringify({ targets: [{ quantizer, model: modelPath }] }));

const position = (needle, offset) => {
  const before = text.slice(0, text.indexOf(needle) + offset).split("\n");
  return { line: before.length - 1, character: before.at(-1).length };
};
/** CPU seconds of the server (its threads) and of its sandboxes (those it has reaped and those still running), from /proc. */
function cpu(pid) {
  const stat = (p) => readFileSync(`/proc/${p}/stat`, "utf8").replace(/^.*\) /, "").split(" ").map(Number);
  const tick = 100;
  const fields = stat(pid);
  let running = 0;
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const child = stat(entry);
      // Fields after the command: state, ppid, …, utime (11), stime (12), cutime (13), cstime (14).
      if (child[1] === pid) running += child[11] + child[12] + child[13] + child[14];
    } catch {
      // Gone meanwhile: its time is in the server's cutime now.
    }
  }
  return { server: (fields[11] + fields[12]) / tick, children: (fields[13] + fields[14] + running) / tick };
}
function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

// QKIT_BENCH_SERVER_ARGS passes Node flags to the server (e.g. "--cpu-prof --cpu-prof-dir=DIR" to see where its time goes).
const serverArgs = (process.env.QKIT_BENCH_SERVER_ARGS ?? "").split(" ").filter(Boolean);
const server = spawn(process.execPath, [...serverArgs, path.join(root, "server", "bin", "qkit-language-server.js"), "--stdio"], { cwd: workspace, stdio: ["pipe", "pipe", "inherit"] });
const connection = rpc.createProtocolConnection(new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
let waiting;
connection.onNotification(rpc.PublishDiagnosticsNotification.type, (p) => {
  if (p.uri !== uri || !waiting) return;
  if (p.diagnostics.some((d) => d.source === "qkit" && d.data?.version === waiting.version)) {
    const w = waiting;
    waiting = undefined;
    w.resolve(performance.now());
  }
});
connection.onRequest(rpc.WorkDoneProgressCreateRequest.type, () => undefined);
if (process.env.QKIT_BENCH_DEBUG) connection.onNotification("window/logMessage", (p) => console.error(`[server] ${p.message}`));
connection.listen();
function printTable(header, cells) {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const row = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  console.log(row(header));
  console.log(row(widths.map((w) => "-".repeat(w))));
  for (const c of cells) console.log(row(c));
}
const resultsFor = (version) => new Promise((resolve) => (waiting = { version, resolve }));

try {
  let t = performance.now();
  await connection.sendRequest(rpc.InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(workspace).href, capabilities: { window: { workDoneProgress: true } }, workspaceFolders: null });
  await connection.sendNotification(rpc.InitializedNotification.type, {});
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rss(server.pid);
  const first = resultsFor(1);
  await connection.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
  const firstMs = (await first) - t;
  const afterOpen = rss(server.pid);

  const lines = text.split("\n");
  const line = lines.findIndex((l) => l.includes("return model;"));
  let current = lines[line];
  const edits = [];
  const timings = [];
  const cpuBefore = cpu(server.pid);
  for (let version = 2; version < EDITS + 2; version++) {
    const next = `${lines[line]} // edit ${version}`;
    const done = resultsFor(version);
    t = performance.now();
    await connection.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: current.length } }, text: next }],
    });
    edits.push((await done) - t);
    current = next;
    const status = await connection.sendRequest("qkit/status");
    const last = status.targets[0]?.lastCheck?.timings;
    if (last) timings.push(last);
  }
  const cpuAfter = cpu(server.pid);
  // QKIT_BENCH_LSP_TRACE=FILE keeps each edit's time and the server's timings of its check, in order, to see which
  // edits make the p95 (the first ones, while V8 still compiles the type-checker, or any).
  if (process.env.QKIT_BENCH_LSP_TRACE) writeFileSync(process.env.QKIT_BENCH_LSP_TRACE, JSON.stringify(edits.map((ms, i) => ({ ms, ...timings[i] }))));

  const hovers = { "op type in getSourcePartitions": position('"Conv"', 2), "spec constructor line": position("const weight = new QuantizationSpec", 16) };
  const hoverRows = [];
  for (const [what, at] of Object.entries(hovers)) {
    const times = [];
    for (let i = 0; i < HOVERS; i++) {
      t = performance.now();
      const hover = await connection.sendRequest(rpc.HoverRequest.type, { textDocument: { uri }, position: at });
      times.push(performance.now() - t);
      if (!hover) throw new Error(`no hover for ${what}`);
    }
    hoverRows.push([`hover: ${what}`, median(times), p95(times)]);
  }
  const busy = rss(server.pid);
  // The server collects garbage after a second of quiet; an editor's user mostly sees it idle.
  await new Promise((r) => setTimeout(r, 2000));
  const idle = rss(server.pid);

  const rows = [
    ["first open → diagnostics (model load, TypeScript start)", firstMs, firstMs, ""],
    [`didChange → publishDiagnostics (${EDITS} edits)`, median(edits), p95(edits), "p95 <= 300 ms"],
    ...hoverRows.map((r) => [...r, "<= 30 ms"]),
  ];
  const header = ["ResNet-18, tutorial quantizer", "median ms", "p95 ms", "target"];
  const cells = [...rows.map((r) => [r[0], r[1].toFixed(1), r[2].toFixed(1), r[3]]),
    ["server RSS (MB): steady (idle after 2 s)", idle.now.toFixed(0), "", "<= 250 MB"],
    ["server RSS (MB): peak (VmHWM) / busy after the hovers", idle.peak.toFixed(0), busy.now.toFixed(0), "<= 300 MB"],
    ["server RSS (MB): peak by the first open's diagnostics", afterOpen.peak.toFixed(0), "", ""],
    ["server RSS before opening a file (MB)", baseline.now.toFixed(0), "", ""]];
  printTable(header, cells);

  // Where an edit's time goes: the server's own timings of each check (qkit/status), median and p95 per step.
  const steps = [
    ["debounce (qkit.debounceMs)", "debounceMs"],
    ["compile the quantizer (server thread)", "compileMs"],
    ["worker start: wait for a ready sandbox", "workerStartMs"],
    ["the sandbox's model: snapshot rebuilt (a spare's, in the background)", "modelDecodeMs"],
    ["load the quantizer module", "loadMs"],
    ["annotate()", "annotateMs"],
    ["check the annotations", "checkMs"],
    ["report (sandbox) and messages", null],
    ["publish: place and send the diagnostics", "publishMs"],
    ["type-check (server thread, meanwhile)", "typeCheckMs"],
  ];
  const of = (key) => timings.map((t) => (key ? t[key] : t.reportMs + t.transferMs));
  console.log("");
  printTable(["where an edit's time goes", "median ms", "p95 ms"], steps.map(([what, key]) => [what, median(of(key)).toFixed(0), p95(of(key)).toFixed(0)]));
  console.log(`\n${timings.length} of ${EDITS} edits reported timings; the steps up to publish add up to an edit's time, the sandbox's model only when a check waited for its sandbox.`);
  const perEdit = (key) => (((cpuAfter[key] - cpuBefore[key]) * 1000) / EDITS).toFixed(0);
  console.log(`CPU per edit: server ${perEdit("server")} ms, its sandboxes ${perEdit("children")} ms.`);
  const atOnce = timings.filter((t) => t.checkedAtOnce).length;
  console.log(`${atOnce} of ${timings.length} edits came after a quiet gap (each edit here is sent once the previous one's diagnostics arrived) and were checked at once, without the debounce.`);
  const warm = timings.filter((t) => t.warmSandbox).length;
  const fromSnapshot = timings.filter((t) => t.model === "snapshot").length;
  console.log(`${warm} of ${timings.length} checks ran in a spare that was ready before the edit; ${fromSnapshot} sandboxes rebuilt the model from the server's snapshot (the others decoded the file).`);
  const reused = timings.filter((t) => t.reusedSandbox).length;
  const { started, spent } = (await connection.sendRequest("qkit/status")).checkSandboxes;
  console.log(`${reused} of ${timings.length} checks ran in a sandbox an earlier check had left as it found it; ${started} sandboxes started in all, ${spent} replaced after a check that left a trace or after their share of checks.`);
  await connection.sendRequest(rpc.ShutdownRequest.type);
  const exited = new Promise((resolve) => server.once("exit", resolve));
  await connection.sendNotification(rpc.ExitNotification.type);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
} finally {
  connection.dispose();
  server.kill();
  rmSync(workspace, { recursive: true, force: true });
}
