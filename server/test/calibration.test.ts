import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { CancellationTokenSource, InlayHintRequest, ResponseError, WorkDoneProgress, type ProgressToken, type WorkDoneProgressReport } from "vscode-languageserver-protocol";
import { GraphViewRequest, RunCalibrationRequest, StatusRequest } from "../src/protocol.js";
import { LspClient, positionOf, uri } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/** Run calibration over stdio: work-done progress, cancellation, the saved report behind hovers, SQNR warnings. */
const DATA = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
const calibration = { data: DATA, batchSize: 16, limit: 96, mean: 0.286, std: 0.353 };
// A second target on the same output: a file that names a node, for the node-name hover.
const PROBE_TEXT = 'export const probe = "/conv2/Conv";\n';
const workspace = tempWorkspace(
  [{ quantizer: TUTORIAL, model: FMNIST, calibration, output: "out/fmnist.int8.onnx" } as never, { quantizer: "probe.ts", model: FMNIST, output: "out/fmnist.int8.onnx" }],
  { "probe.ts": PROBE_TEXT },
);
const PROBE = path.join(workspace.dir, "probe.ts");
const OUTPUT = path.join(workspace.dir, "out", "fmnist.int8.onnx");
const REPORT = `${OUTPUT}.calibration.json`;
const text = readFileSync(TUTORIAL, "utf8");
// The activation spec's constructor line, and a node its annotations name.
const ACTIVATION = positionOf(text, "new QuantizationSpec({", 4);
let client: LspClient;

function hoverText(h: Awaited<ReturnType<LspClient["hover"]>>): string {
  return (h?.contents as { value: string } | undefined)?.value ?? "";
}

before(async () => {
  // As the VS Code extension starts it: the lenses and hover links name the extension's own commands.
  client = await LspClient.start(workspace.dir, { settings: { sqnrThresholdDb: 35, inlayHints: true }, clientCommands: ["qkit.runCalibration", "qkit.showAnnotatedGraph"] });
  client.connection.onRequest("workspace/inlayHint/refresh", () => null);
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("before calibration, a spec hover offers the Run calibration command", async () => {
  const value = hoverText(await client.hover(TUTORIAL, ACTIVATION));
  assert.match(value, /Not calibrated yet/);
  assert.match(value, /\(command:qkit\.runCalibration\?/);
  const status = await client.connection.sendRequest(StatusRequest);
  assert.equal(status.targets[0]!.calibration?.state, "none");
});

test("code lenses above the Quantizer class run calibration and show the graph", async () => {
  const lenses = (await client.codeLens(TUTORIAL)) ?? [];
  const titles = lenses.map((l) => l.command?.title);
  assert.deepEqual(titles.slice(0, 2), ["Run calibration", "Show annotated graph"]);
  assert.equal(lenses[0]!.command!.command, "qkit.runCalibration");
  assert.equal(lenses[1]!.command!.command, "qkit.showAnnotatedGraph");
  assert.deepEqual(lenses[0]!.command!.arguments, [uri(TUTORIAL)]);
  assert.match(String(titles[2]), /annotated · \d+ left float/);
});

test("a cancelled calibration writes nothing", async () => {
  const source = new CancellationTokenSource();
  const token: ProgressToken = "cancel-me";
  let reported = false;
  client.connection.onProgress(WorkDoneProgress.type, token, (p) => {
    if (p.kind === "report" && !reported) {
      reported = true;
      source.cancel();
    }
  });
  await assert.rejects(client.connection.sendRequest(RunCalibrationRequest, { uri: uri(TUTORIAL), workDoneToken: token }, source.token), (e: ResponseError<void>) => e.code === -32800);
  assert.equal(existsSync(OUTPUT), false);
  assert.equal(existsSync(REPORT), false);
});

test("Run calibration reports progress (begin, rising percentages with samples/s, end) and writes the model and the report", async () => {
  const token: ProgressToken = "calibrate";
  const events = client.recordProgress(token);
  const result = await client.connection.sendRequest(RunCalibrationRequest, { uri: uri(TUTORIAL), workDoneToken: token });
  assert.equal(result.items, 96);
  assert.equal(result.output, uri(OUTPUT));
  assert.ok(existsSync(OUTPUT) && existsSync(REPORT));
  // The server ends the progress before it answers, so every notification is in.
  assert.deepEqual(events[0], { kind: "begin", title: "Calibrating tutorial-quantizer.ts", percentage: 0, message: "starting…", cancellable: true });
  assert.equal(events.at(-1)?.kind, "end");
  const reports = events.slice(1, -1) as WorkDoneProgressReport[];
  assert.ok(reports.every((r) => r.kind === "report"), JSON.stringify(events));
  // 96 samples in batches of 16: one report per batch, items and percentage rising together.
  const batches = reports.filter((r) => / samples\/s$/.test(r.message ?? ""));
  assert.deepEqual(batches.map((r) => Number(/^(\d+)\/96 samples · \d+ samples\/s$/.exec(r.message!)?.[1])), [16, 32, 48, 64, 80, 96], JSON.stringify(batches));
  assert.deepEqual(batches.map((r) => r.percentage), [17, 33, 50, 67, 83, 100]);
  const percentages = reports.map((r) => r.percentage!);
  assert.ok(percentages.every((p, i) => i === 0 || p >= percentages[i - 1]!), `percentages never go back: ${percentages.join(", ")}`);
  const report = JSON.parse(readFileSync(REPORT, "utf8")) as { groups: unknown[]; sqnr: { node: string; sqnr: number | null }[] };
  assert.ok(report.groups.length > 0 && report.sqnr.length > 0);
  const status = await client.connection.sendRequest(StatusRequest);
  assert.equal(status.targets[0]!.calibration?.state, "done");
});

test("after calibration, hovers show qparams as Netron writes them, the histogram and the SQNR", async () => {
  const spec = hoverText(await client.hover(TUTORIAL, ACTIVATION));
  assert.match(spec, /\*\*Calibration\*\* \(96 samples\)/);
  assert.match(spec, /int8 per_tensor_affine\*\* · HistogramObserver/);
  assert.match(spec, /`[\d.e-]+ \* \(q [+-] \d+\)` — scale [\d.e-]+, zero point -?\d+/);
  assert.match(spec, /observed min \/ max: /);
  assert.match(spec, /!\[histogram of HistogramObserver with the clipping range\]\(data:image\/svg\+xml;base64,/);
  const svg = Buffer.from(/base64,([^)]+)\)/.exec(spec)![1]!, "base64").toString();
  assert.match(svg, /^<svg [^>]*>.*clip \[/);
});

test("a node name's hover shows its SQNR and the qparams of its inputs and output", async () => {
  await client.open(PROBE, PROBE_TEXT);
  const value = hoverText(await client.hover(PROBE, positionOf(PROBE_TEXT, '"/conv2/Conv"', 3)));
  assert.match(value, /^\*\*Calibration\*\* \(96 samples\)/);
  assert.match(value, /SQNR \*\*\d+\.\d dB\*\* against the float model/);
  assert.match(value, /HistogramObserver · edge \/pool1\/MaxPool → \/conv2\/Conv/);
  assert.match(value, /per_channel_symmetric\*\* · PerChannelMinMaxObserver · edge onnx::Conv_58 → \/conv2\/Conv/);
  assert.match(value, /\*\*Conv\*\* `\/conv2\/Conv`/);
});

test("per-channel weights get a summary: channel count and scale range", async () => {
  const value = hoverText(await client.hover(TUTORIAL, positionOf(text, "const weight = new QuantizationSpec({", 15)));
  assert.match(value, /per channel \(axis 0\): \d+ channels, scale [\d.e-]+ … [\d.e-]+/);
});

test("nodes below the SQNR threshold get a warning at the annotating line", async () => {
  const ds = await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.code === "low-sqnr"));
  const low = ds.filter((d) => d.code === "low-sqnr");
  assert.match(String(low[0]!.message), /^SQNR \d+\.\d dB at \/\S+: consider per-channel weights or HistogramObserver$/);
  const line = text.split("\n")[low[0]!.range.start.line]!;
  assert.match(line, /QuantizationAnnotation/);
});

test("inlay hints show the scale after spec creations", async () => {
  const hints = (await client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: uri(TUTORIAL) }, range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } } })) ?? [];
  assert.ok(hints.some((h) => /\* \(q [+-] \d+\)|\* q$/.test(String(h.label))), JSON.stringify(hints.map((h) => h.label)));
});

test("the graph view shows qparams under nodes and links node names to the annotating line", async () => {
  const view = await client.connection.sendRequest(GraphViewRequest, { uri: uri(TUTORIAL) });
  assert.equal(view.calibrated, true);
  assert.match(view.text, /^# fmnist_cnn_op13\.onnx · calibrated on 96 samples/);
  assert.match(view.text, /\n {4}#= .*int8 [\d.e-]+ \* \(q [+-] \d+\) \(HistogramObserver\)/);
  assert.match(view.text, /\n {4}#= SQNR \d+\.\d dB/);
  const lines = view.text.split("\n");
  const link = view.links.find((l) => lines[l.line]!.slice(l.start, l.end) === "/conv1/Conv");
  assert.ok(link, "a link on /conv1/Conv");
  assert.equal(link.target.uri, uri(TUTORIAL));
  assert.match(text.split("\n")[link.target.line]!, /QuantizationAnnotation/);
});
