import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { fork, spawn, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { TextDocument } from "vscode-languageserver-textdocument";
import { createProtocolConnection, IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter } from "vscode-languageserver-protocol/node";
import { InitializeRequest, ShutdownRequest, ExitNotification } from "vscode-languageserver-protocol";
import { DidChangeTrustNotification } from "../src/protocol.js";
import { LspClient, ROOT, uri } from "./helpers/lsp-client.js";
import { BROKEN, FMNIST, tempWorkspace } from "./helpers/workspace.js";

const QUANTIZER = `import { Quantizer, QuantizationAnnotation, QuantizationSpec, MinMaxObserver, type GraphModule } from "qkit";

const spec = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: MinMaxObserver });

export default class Mine extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    model.graph.node("/relu1/Relu")!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec });
    return model;
  }
}
`;

test("qkit.json: diagnostics for a missing model, a model that does not load, a quantizer without a Quantizer, unknown fields", async () => {
  const { dir, cleanup } = tempWorkspace([], { "broken.onnx": "not a model", "none.ts": "export const x = 1;\n", "mine.ts": QUANTIZER });
  const config = {
    targets: [
      { quantizer: "mine.ts", model: "missing.onnx" },
      { quantizer: "mine.ts", model: "broken.onnx" },
      { quantizer: "none.ts", model: FMNIST },
      { quantizer: "nowhere.ts", model: FMNIST, extra: 1 },
    ],
  };
  const text = JSON.stringify(config, null, 2);
  writeFileSync(path.join(dir, "qkit.json"), text);
  const client = await LspClient.start(dir);
  try {
    const file = path.join(dir, "qkit.json");
    const diagnostics = await client.waitFor(file, (ds) => ds.length >= 5);
    const lineOf = (needle: string) => text.split("\n").findIndex((l) => l.includes(needle));
    const byCode = (code: string) => diagnostics.filter((d) => d.code === code).map((d) => [d.range.start.line, d.message as string] as const);
    const [missing, broken] = byCode("model-load-failed");
    assert.deepEqual(missing, [lineOf('"missing.onnx"'), "missing.onnx: no such file; check the path"]);
    assert.equal(broken?.[0], lineOf('"broken.onnx"'));
    assert.match(broken![1], /^broken\.onnx: .*not an ONNX model/, "the loader's own message");
    assert.deepEqual(byCode("quantizer-no-quantizer"), [[lineOf('"none.ts"'), 'none.ts: exports no Quantizer; export a class that extends Quantizer from "qkit" (as the default export, or the only one)']]);
    assert.deepEqual(byCode("quantizer-not-found"), [[lineOf('"nowhere.ts"'), "nowhere.ts: no such file; the path is relative to qkit.json"]]);
    assert.match(String(byCode("config")[0]?.[1]), /unknown field "extra"/);
  } finally {
    await client.stop();
    cleanup();
  }
});

test("qkit.json: a misspelt quantizer or model path says what it likely meant, and the quick fix puts that in", async () => {
  const { dir, cleanup } = tempWorkspace([], { "mine.ts": QUANTIZER });
  copyFileSync(FMNIST, path.join(dir, "fmnist_cnn_op13.onnx"));
  const text = JSON.stringify({ targets: [{ quantizer: "mne.ts", model: "fmnist_cnn_op31.onnx" }, { quantizer: "xnnpak", model: "fmnist_cnn_op13.onnx" }] }, null, 2);
  const file = path.join(dir, "qkit.json");
  writeFileSync(file, text);
  const client = await LspClient.start(dir);
  try {
    await client.open(file, text);
    const diagnostics = await client.waitFor(file, (ds) => ds.length >= 3);
    const messages = diagnostics.map((d) => [d.code, d.message]).sort();
    assert.deepEqual(messages, [
      ["model-load-failed", 'fmnist_cnn_op31.onnx: no such file; check the path; did you mean "fmnist_cnn_op13.onnx"?'],
      ["quantizer-not-found", 'mne.ts: no such file; the path is relative to qkit.json; did you mean "mine.ts"?'],
      ["quantizer-not-found", 'xnnpak: no such file; the path is relative to qkit.json; did you mean "xnnpack"?'],
    ]);
    let fixed = TextDocument.create(uri(file), "json", 0, text);
    for (const d of diagnostics) {
      const [action, ...more] = await client.codeActions(file, d.range, [d]);
      assert.equal(more.length, 0, JSON.stringify(more));
      assert.equal(action!.kind, "quickfix");
      // Each fix replaces only its own value, so applying them one after another on the original ranges is safe.
      fixed = TextDocument.create(uri(file), "json", 0, TextDocument.applyEdits(fixed, action!.edit!.changes![uri(file)]!));
    }
    assert.deepEqual(JSON.parse(fixed.getText()).targets, [{ quantizer: "mine.ts", model: "fmnist_cnn_op13.onnx" }, { quantizer: "xnnpack", model: "fmnist_cnn_op13.onnx" }]);
    writeFileSync(file, fixed.getText());
    await client.replaceText(file, fixed.getText());
    await client.waitFor(file, (ds) => ds.length === 0);
  } finally {
    await client.stop();
    cleanup();
  }
});

test("type errors like tsserver's, with qkit resolved though the workspace has no node_modules", async () => {
  const bad = QUANTIZER.replace('quantMin: -128', 'quantMin: "-128"').replace("model.graph.node(", "model.graph.nodeNamed(");
  const { dir, cleanup } = tempWorkspace([{ quantizer: "mine.ts", model: FMNIST }], { "mine.ts": bad });
  const client = await LspClient.start(dir);
  try {
    const file = path.join(dir, "mine.ts");
    await client.open(file);
    const diagnostics = await client.waitFor(file, (ds) => ds.some((d) => d.source === "ts"));
    const ts = diagnostics.filter((d) => d.source === "ts").map((d) => [d.code, d.range.start.line + 1]);
    assert.deepEqual(ts, [[2322, 3], [2339, 7]], JSON.stringify(diagnostics));
    assert.ok(!diagnostics.some((d) => d.code === 2307), "qkit resolves");
  } finally {
    await client.stop();
    cleanup();
  }
});

test("a quantizer file sees the author API only: internals of qkit/tooling are not exported by \"qkit\"", async () => {
  const internal = QUANTIZER.replace("type GraphModule } from \"qkit\";", "type GraphModule, collectSlots } from \"qkit\";\nvoid collectSlots;");
  const { dir, cleanup } = tempWorkspace([{ quantizer: "mine.ts", model: FMNIST }], { "mine.ts": internal });
  const client = await LspClient.start(dir);
  try {
    const file = path.join(dir, "mine.ts");
    await client.open(file);
    const diagnostics = await client.waitFor(file, (ds) => ds.some((d) => d.source === "ts"));
    assert.deepEqual(diagnostics.filter((d) => d.source === "ts").map((d) => [d.code, d.range.start.line + 1]), [[2305, 1]], JSON.stringify(diagnostics));
  } finally {
    await client.stop();
    cleanup();
  }
});

test("an untrusted workspace runs no quantizer: type errors, static checks and one notice saying why", async () => {
  const throwsOnLoad = `import { Quantizer, type GraphModule } from "qkit";\nrequire("node:fs").writeFileSync(${JSON.stringify("RAN")}, "yes");\nexport default class Q extends Quantizer { annotate(m: GraphModule) { m.graph.node("/conv9/Conv"); return m; } }\n`;
  const { dir, cleanup } = tempWorkspace([{ quantizer: "q.ts", model: FMNIST }, { quantizer: path.join(BROKEN, "annotates-nothing.ts"), model: FMNIST }], { "q.ts": throwsOnLoad });
  const client = await LspClient.start(dir, { trusted: false });
  try {
    const file = path.join(dir, "q.ts");
    await client.open(file);
    const diagnostics = (await client.waitFor(file, (ds) => ds.some((d) => d.source === "qkit"))).filter((d) => d.source === "qkit");
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.range.start.line + 1]), [["workspace-untrusted", 3, 1], ["unknown-node", 2, 3]]);
    const nothing = path.join(BROKEN, "annotates-nothing.ts");
    await client.open(nothing);
    const partitions = (await client.waitFor(nothing, (ds) => ds.some((d) => d.source === "qkit"))).filter((d) => d.code === "unknown-op-type");
    assert.match(partitions[0]!.message as string, /has no Linear nodes/);
    const lenses = await client.codeLens(file);
    assert.equal(lenses?.[0]?.command?.title, "not run: the workspace is not trusted");
    await new Promise((r) => setTimeout(r, 300));
    assert.throws(() => readFileSync(path.join(dir, "RAN")), "the quantizer's module never ran");
    assert.ok(!client.logs.some((l) => l.startsWith("checked")), "no check ran");
  } finally {
    await client.stop();
    cleanup();
  }
});

test("editing qkit.json in the editor re-checks: a target added to the open file's config is checked", async () => {
  const { dir, cleanup } = tempWorkspace([], { "mine.ts": QUANTIZER.replace("quantMin: -128", "quantMin: -300") });
  const client = await LspClient.start(dir);
  try {
    const file = path.join(dir, "mine.ts");
    const config = path.join(dir, "qkit.json");
    await client.open(file);
    const before = readFileSync(config, "utf8");
    await client.open(config, before);
    const after = JSON.stringify({ targets: [{ quantizer: "mine.ts", model: FMNIST }] });
    await client.changeLine(config, 1, before.split("\n")[0]!, after);
    // The whole old text is on several lines; replace them all by closing and reopening with the new text instead.
    await client.close(config);
    writeFileSync(config, after);
    await client.open(config, after);
    const diagnostics = await client.waitFor(file, (ds) => ds.some((d) => d.code === "quant-range-outside-dtype"));
    assert.equal(diagnostics.find((d) => d.code === "quant-range-outside-dtype")!.range.start.line, 2);
  } finally {
    await client.stop();
    cleanup();
  }
});

test("npx qkit-language-server --stdio starts from the repository root", async () => {
  const child = spawn("npx", ["--no-install", "qkit-language-server", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  try {
    const result = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: uri(ROOT), capabilities: {}, workspaceFolders: null });
    assert.equal(result.serverInfo?.name, "qkit-language-server");
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
  } finally {
    connection.dispose();
    child.kill();
  }
});

test("qkit check with no arguments checks the targets of the same qkit.json", () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "mine.ts", model: FMNIST }], { "mine.ts": QUANTIZER.replace("quantMin: -128", "quantMin: -300") });
  try {
    const result = spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "check", "--json"], { cwd: dir, encoding: "utf8" });
    assert.equal(result.status, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.findings.filter((f: { severity: string }) => f.severity === "error").map((f: { code: string; location: { file: string; line: number } }) => [f.code, f.location.file, f.location.line]), [["quant-range-outside-dtype", "mine.ts", 3]]);
    writeFileSync(path.join(dir, "qkit.json"), JSON.stringify({ targets: [{ quantizer: "mine.ts" }] }));
    const bad = spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), "check"], { cwd: dir, encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /qkit\.json: targets\[0\]\.model is missing/);
  } finally {
    cleanup();
  }
});

test("qkit/didChangeTrust: trusting the workspace later runs the quantizer", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "mine.ts", model: FMNIST }], { "mine.ts": QUANTIZER.replace("quantMin: -128", "quantMin: -300") });
  const client = await LspClient.start(dir, { trusted: false });
  try {
    const file = path.join(dir, "mine.ts");
    await client.open(file);
    await client.waitFor(file, (ds) => ds.some((d) => d.code === "workspace-untrusted"));
    await client.connection.sendNotification(DidChangeTrustNotification, { trusted: true });
    // The literal range is already flagged untrusted; only the check that ran knows which edges the spec was used for.
    const diagnostics = await client.waitFor(file, (ds) => ds.some((d) => d.code === "quant-range-outside-dtype" && /used for/.test(d.message as string)));
    assert.ok(!diagnostics.some((d) => d.code === "workspace-untrusted"));
  } finally {
    await client.stop();
    cleanup();
  }
});

test("--node-ipc works as well as --stdio, and the protocol module is importable as qkit-language-server/protocol", async () => {
  const protocol = require("qkit-language-server/protocol") as typeof import("../src/protocol.js");
  assert.equal(protocol.AnnotatedGraphRequest.method, "qkit/annotatedGraph");
  assert.equal(protocol.StatusRequest.method, "qkit/status");
  const child = fork(path.join(ROOT, "server", "bin", "qkit-language-server.js"), ["--node-ipc"], { cwd: ROOT, stdio: ["ignore", "ignore", "ignore", "ipc"] });
  const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  try {
    const result = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: uri(ROOT), capabilities: {}, workspaceFolders: null });
    assert.equal(result.serverInfo?.name, "qkit-language-server");
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
  } finally {
    connection.dispose();
    child.kill();
  }
});

test("a model is reloaded when its file changes: breaking it shows on qkit.json, restoring it clears that", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "mine.ts", model: "net.onnx" }], { "mine.ts": QUANTIZER });
  const model = path.join(dir, "net.onnx");
  const bytes = readFileSync(FMNIST);
  writeFileSync(model, bytes);
  const client = await LspClient.start(dir);
  try {
    const file = path.join(dir, "mine.ts");
    const config = path.join(dir, "qkit.json");
    await client.open(file);
    await client.waitFor(file, (ds) => ds.some((d) => d.code === "coverage"));
    writeFileSync(model, bytes.subarray(0, 1000));
    const broken = await client.waitFor(config, (ds) => ds.some((d) => d.code === "model-load-failed"));
    assert.match(broken.find((d) => d.code === "model-load-failed")!.message as string, /^net\.onnx: /);
    writeFileSync(model, bytes);
    await client.waitFor(config, (ds) => !ds.some((d) => d.code === "model-load-failed"));
  } finally {
    await client.stop();
    cleanup();
  }
});
