import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { CancellationTokenSource, DidChangeConfigurationNotification, ResponseError } from "vscode-languageserver-protocol";
import { loadModel, loadQuantizer, runCheck } from "qkit/tooling";
import { AnnotatedGraphRequest, StatusRequest } from "../src/protocol.js";
import { LspClient, positionOf, uri } from "./helpers/lsp-client.js";
import { BROKEN, FMNIST, HOSTILE, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/** Hover, code lens, completion, progress, the custom requests and cancellation, through a real stdio client. */
const LOOP = path.join(HOSTILE, "infinite-loop.ts");
const DERIVED = path.join(BROKEN, "derived-arity.ts");
const workspace = tempWorkspace([TUTORIAL, LOOP, DERIVED].map((quantizer) => ({ quantizer, model: FMNIST })));
const text = readFileSync(TUTORIAL, "utf8");
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir);
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("the server announces incremental sync, hover, code lens and completion", () => {
  const caps = client.initializeResult!.capabilities;
  assert.deepEqual(caps.textDocumentSync, { openClose: true, change: 2 });
  assert.equal(caps.hoverProvider, true);
  assert.ok(caps.codeLensProvider);
  assert.ok(caps.completionProvider?.triggerCharacters?.includes('"'));
  assert.equal(client.initializeResult!.serverInfo?.name, "qkit-language-server");
});

test("loading the model reports work-done progress: begin naming the model, its size, then end", () => {
  const loads = [...client.progress.values()].filter((events) => events[0]?.kind === "begin" && events[0].title === "qkit: loading model");
  assert.equal(loads.length, 1, JSON.stringify([...client.progress.values()]));
  const [begin, ...rest] = loads[0]!;
  assert.deepEqual(begin, { kind: "begin", title: "qkit: loading model", message: "fmnist_cnn_op13.onnx" });
  assert.deepEqual(rest.map((e) => e.kind), ["report", "end"], "the model loaded before the first check: its progress ended");
  assert.deepEqual(rest[0], { kind: "report", message: "30 nodes" });
});

test("hover on an op type in getSourcePartitions: how many partitions match", async () => {
  const hover = await client.hover(TUTORIAL, positionOf(text, '"Conv"', 2));
  const value = (hover?.contents as { value: string }).value;
  assert.match(value, /getSourcePartitions matches \*\*5\*\* Conv partitions in fmnist_cnn_op13\.onnx/);
  assert.match(value, /`\/conv1\/Conv` — Conv float32\[batch,16,28,28\]/);
  const none = await client.hover(TUTORIAL, positionOf(text, '"Sigmoid"', 2));
  assert.match((none?.contents as { value: string }).value, /has no Sigmoid nodes/);
});

test("hover on a spec's constructor line: the edges and nodes it applies to", async () => {
  const hover = await client.hover(TUTORIAL, positionOf(text, "const weight = new QuantizationSpec", 16));
  const value = (hover?.contents as { value: string }).value;
  assert.match(value, /QuantizationSpec int8 per_channel_symmetric\*\* created here, used for 6 edges/);
  assert.match(value, /edge `onnx::Conv_55` → `\/conv1\/Conv` \(float32\[16,1,3,3\]\)/);
});

test("hover on a node name: op type, dtype, shape and the annotation that covers it", async () => {
  const derived = readFileSync(DERIVED, "utf8");
  await client.open(DERIVED);
  await client.waitFor(DERIVED, (ds) => ds.some((d) => d.source === "qkit"));
  const hover = await client.hover(DERIVED, positionOf(derived, '"/conv1/Conv"', 3));
  const value = (hover?.contents as { value: string }).value;
  assert.match(value, /\*\*Conv\*\* `\/conv1\/Conv` — Conv float32\[batch,16,28,28\]/);
  assert.match(value, /annotated at derived-arity\.ts:15/);
  assert.match(value, /edge `onnx::Conv_56` → `\/conv1\/Conv` \(float32\[16\]\): DerivedQuantizationSpec int32/);
  await client.close(DERIVED);
});

test("code lens above the Quantizer class: nodes annotated and left float, as the checker counts them", async () => {
  const { coverage } = runCheck(await loadModel(FMNIST), loadQuantizer(TUTORIAL).quantizer);
  const lenses = await client.codeLens(TUTORIAL);
  // "Run calibration", "Show annotated graph", then the coverage.
  assert.equal(lenses?.length, 3);
  const coverageLens = lenses!.at(-1)!;
  assert.equal(coverageLens.range.start.line, text.split("\n").findIndex((l) => l.includes("class TutorialQuantizer")));
  assert.equal(coverageLens.command?.title, `${coverage.annotated} nodes annotated · ${coverage.total - coverage.annotated} left float`);
});

test("completion: op types inside getSourcePartitions, node names in other strings", async () => {
  const ops = await client.completion(TUTORIAL, positionOf(text, '"Gemm"', 1));
  assert.deepEqual(ops.map((i) => i.label).sort(), ["Add", "Conv", "Flatten", "Gemm", "GlobalAveragePool", "MaxPool", "Relu"]);
  assert.equal(ops.find((i) => i.label === "Conv")?.detail, "5 nodes in the model");
  const derived = readFileSync(DERIVED, "utf8");
  await client.open(DERIVED);
  const names = await client.completion(DERIVED, positionOf(derived, '"/conv1/Conv"', 1));
  const conv = names.find((i) => i.label === "/conv1/Conv");
  assert.equal(conv?.detail, "Conv float32[batch,16,28,28]");
  assert.ok(names.some((i) => i.label === "/fc/Gemm"));
  // The edit replaces the whole string content, slashes and all.
  assert.deepEqual((conv as { textEdit?: { range: unknown } }).textEdit?.range, { start: positionOf(derived, '"/conv1/Conv"', 1), end: positionOf(derived, '"/conv1/Conv"', 12) });
  await client.close(DERIVED);
});

test("qkit/annotatedGraph returns the graph with its annotations; qkit/status reports the targets", async () => {
  const graph = await client.connection.sendRequest(AnnotatedGraphRequest, { uri: uri(TUTORIAL) });
  assert.match(graph.text, /^graph "torch_jit"/);
  assert.match(graph.text, /%\/conv1\/Conv: float32\[batch,16,28,28\] = Conv\(.*\n\s+## input input: QuantizationSpec int8 per_tensor_affine \(tutorial-quantizer\.ts:20\)/);
  assert.equal(graph.version, 1);
  const status = await client.connection.sendRequest(StatusRequest);
  assert.equal(status.trusted, true);
  assert.equal(status.targets.length, 3);
  assert.equal(status.targets[0]!.modelState, "loaded");
  assert.equal(status.targets[0]!.lastCheck?.outcome, "done");
  assert.equal(status.settings.checkTimeoutMs, 2000);
});

test("$/cancelRequest: a request waiting for a check in flight is answered with RequestCancelled", async () => {
  // A timeout no machine reaches during this test: the check is still in flight when the answer comes.
  await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { qkit: { checkTimeoutMs: 120_000 } } });
  try {
    await client.open(LOOP);
    const source = new CancellationTokenSource();
    const pending = client.connection.sendRequest(AnnotatedGraphRequest, { uri: uri(LOOP) }, source.token);
    setTimeout(() => source.cancel(), 100);
    await assert.rejects(pending, (error: unknown) => error instanceof ResponseError && error.code === -32800);
    const status = await client.connection.sendRequest(StatusRequest);
    assert.equal(status.targets.find((t) => t.quantizer.endsWith("infinite-loop.ts"))?.lastCheck, undefined, "the looping check had not ended");
    assert.ok(!client.latest.get(uri(LOOP))?.diagnostics.some((d) => d.source === "qkit"), "no check result for the loop yet");
  } finally {
    await client.close(LOOP);
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { qkit: { checkTimeoutMs: 2000 } } });
  }
});

test("an edit reaches the worker as unsaved text: the check runs what the editor shows, not the file on disk", async () => {
  const lines = text.split("\n");
  const index = lines.findIndex((l) => l.includes("quantMin: -128,"));
  const version = await client.changeLine(TUTORIAL, index + 1, lines[index]!, "  quantMin: -300,");
  const diagnostics = await client.waitFor(TUTORIAL, (ds) => ds.some((d) => (d.data as { version?: number } | undefined)?.version === version));
  // The edited option itself is underlined; the checker's line (the spec's constructor) stays in data.site.
  const errors = diagnostics.filter((d) => d.severity === 1);
  assert.deepEqual(errors.map((d) => [d.source, d.code, d.range.start.line + 1, (d.data as { site?: { line: number } }).site?.line]), [["qkit", "quant-range-outside-dtype", index + 1, text.split("\n").findIndex((l) => l.includes("const activation")) + 1]]);
  const back = await client.changeLine(TUTORIAL, index + 1, "  quantMin: -300,", lines[index]!);
  const cleared = await client.waitFor(TUTORIAL, (ds) => ds.some((d) => (d.data as { version?: number } | undefined)?.version === back));
  assert.deepEqual(cleared.filter((d) => d.severity === 1), []);
});

test("no node names offered where a string names a module", async () => {
  const items = await client.completion(TUTORIAL, positionOf(text, '} from "qkit"', 9));
  assert.deepEqual(items, []);
});
