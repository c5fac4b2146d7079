import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { GraphModelRequest, RunCalibrationRequest } from "../src/protocol.js";
import { LspClient, uri } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/** qkit/graphModel: the graph view's data, before and after calibration. */
const DATA = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
const calibration = { data: DATA, batchSize: 16, limit: 64, mean: 0.286, std: 0.353 };
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST, calibration, output: "out/fmnist.int8.onnx" } as never]);
const lines = readFileSync(TUTORIAL, "utf8").split("\n");
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { settings: { sqnrThresholdDb: 35 } });
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("before calibration, every node comes with its module path, producers, quantization state and int8 verdict", async () => {
  const graph = await client.connection.sendRequest(GraphModelRequest, { uri: uri(TUTORIAL) });
  assert.equal(graph.calibrated, undefined);
  assert.equal(graph.sqnrThresholdDb, 35);
  assert.equal(graph.groups.length, 0);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  assert.equal(graph.nodes[0]!.opType, "input");
  assert.equal(graph.nodes.at(-1)!.opType, "output");

  const conv = byName.get("/conv1/Conv")!;
  assert.deepEqual(conv.modules, ["conv1"]);
  assert.deepEqual(conv.inputs, [0], "the graph input feeds the first Conv; its weights are not drawn as nodes");
  assert.equal(conv.params.length, 2);
  assert.equal(conv.state, "annotated");
  assert.equal(conv.int8, true);
  assert.deepEqual(conv.slots.map((s) => s.kind).sort(), ["derived", "observed", "observed"], "input, weight and bias; the output is quantized after the Relu");
  // The node's link and each spec's link point at the quantizer's lines that made them.
  assert.equal(conv.site!.uri, uri(TUTORIAL));
  assert.match(lines[conv.site!.line]!, /QuantizationAnnotation/);
  const biasSite = conv.slots.find((s) => s.kind === "derived")!.site!;
  assert.match(lines.slice(biasSite.line, biasSite.endLine + 1).join("\n"), /DerivedQuantizationSpec/);

  // Add's inputs share one observer; pools share their input's qparams.
  assert.equal(graph.nodes.find((n) => n.opType === "Add")!.state, "shared");
  assert.equal(graph.nodes.find((n) => n.opType === "MaxPool")!.state, "shared");
  // Producers point backwards: the list is in topological order.
  for (const [i, n] of graph.nodes.entries()) for (const p of n.inputs) assert.ok(p < i, `${n.name} reads a later node`);
});

test("after calibration, nodes carry their local SQNR and groups their qparams and histogram with the clip range", async () => {
  await client.connection.sendRequest(RunCalibrationRequest, { uri: uri(TUTORIAL) });
  const graph = await client.connection.sendRequest(GraphModelRequest, { uri: uri(TUTORIAL) });
  assert.equal(graph.calibrated, 64);
  const conv = graph.nodes.find((n) => n.name === "/conv1/Conv")!;
  assert.equal(typeof conv.sqnr, "number");
  assert.ok(conv.groups.length >= 2);
  const histogram = conv.groups.map((g) => graph.groups[g]!).find((g) => g.histogram);
  assert.ok(histogram, "the input activation's HistogramObserver group");
  assert.equal(histogram.observer, "HistogramObserver");
  assert.ok(histogram.histogram!.length > 0 && histogram.histogram!.length <= 128);
  assert.ok(histogram.min! < histogram.max!);
  assert.ok(histogram.clip![0] < histogram.clip![1]);
  assert.match(histogram.qparams, /\* \(?q/);
  const perChannel = conv.groups.map((g) => graph.groups[g]!).find((g) => g.observer === "PerChannelMinMaxObserver")!;
  assert.match(perChannel.qparams, /^per channel \(axis 0\): \d+ scales/);
  assert.equal(perChannel.histogram, undefined);
});
