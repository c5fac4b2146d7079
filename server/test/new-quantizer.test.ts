import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ExecuteCommandRequest, ResponseError } from "vscode-languageserver-protocol";
import { NEW_QUANTIZER_COMMAND, NewQuantizerRequest, StatusRequest, type NewQuantizerResult } from "../src/protocol.js";
import { LspClient, uri } from "./helpers/lsp-client.js";
import { FMNIST, tempWorkspace } from "./helpers/workspace.js";

/** qkit/newQuantizer through a real stdio client: the file, its qkit.json target, and a clean check of it. */
const workspace = tempWorkspace([]);
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir);
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("qkit/newQuantizer writes a quantizer for the model, adds its target, and the server checks it clean", async () => {
  const result = await client.connection.sendRequest(NewQuantizerRequest, { model: uri(FMNIST) });
  const file = path.join(workspace.dir, "fmnist_cnn_op13-quantizer.ts");
  assert.deepEqual(result, { quantizer: uri(file), config: uri(path.join(workspace.dir, "qkit.json")), targetAdded: true });
  const text = readFileSync(file, "utf8");
  assert.match(text, /export default class FmnistCnnOp13Quantizer extends Quantizer/);
  assert.match(text, /new DerivedQuantizationSpec\(/);
  const config = JSON.parse(readFileSync(path.join(workspace.dir, "qkit.json"), "utf8"));
  assert.deepEqual(config.targets, [{ quantizer: "fmnist_cnn_op13-quantizer.ts", model: path.relative(workspace.dir, FMNIST).split(path.sep).join("/") }]);

  const status = await client.connection.sendRequest(StatusRequest);
  assert.deepEqual(status.targets.map((t) => path.resolve(workspace.dir, t.quantizer)), [file]);
  await client.open(file);
  const diagnostics = await client.waitFor(file, (ds) => ds.some((d) => d.source === "qkit"));
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1 || d.severity === 2).map((d) => d.message), []);
  assert.ok(diagnostics.some((d) => String(d.message) === "16 of 16 operators annotated"), JSON.stringify(diagnostics.map((d) => d.message)));
  await client.close(file);
});

test("qkit/newQuantizer refuses to replace a file without force, and writes the chosen style with it", async () => {
  const out = path.join(workspace.dir, "mine.ts");
  writeFileSync(out, "// mine\n");
  await assert.rejects(
    client.connection.sendRequest(NewQuantizerRequest, { model: uri(FMNIST), out: uri(out) }),
    (error: ResponseError<void>) => /mine\.ts already exists; pass --force/.test(error.message),
  );
  assert.equal(readFileSync(out, "utf8"), "// mine\n");
  const result = await client.connection.sendRequest(NewQuantizerRequest, { model: uri(FMNIST), out: uri(out), like: "x86", force: true });
  assert.equal(result.targetAdded, true);
  assert.match(readFileSync(out, "utf8"), /dtype: "uint8"/);
});

test("qkit/newQuantizer on a model that is not there fails with one line naming it, and writes nothing", async () => {
  const missing = path.join(workspace.dir, "nowhere.onnx");
  await assert.rejects(
    client.connection.sendRequest(NewQuantizerRequest, { model: uri(missing) }),
    (error: ResponseError<void>) => error.message.includes("nowhere.onnx") && !error.message.includes("\n"),
  );
  assert.equal(existsSync(path.join(workspace.dir, "nowhere-quantizer.ts")), false);
});

test("the qkit.scaffoldQuantizer command takes a path relative to the workspace, and bad arguments fail with one line", async () => {
  const command = (...args: unknown[]) => client.connection.sendRequest(ExecuteCommandRequest.type, { command: NEW_QUANTIZER_COMMAND, arguments: args });
  const out = "by-command.ts";
  mkdirSync(path.join(workspace.dir, "models"), { recursive: true });
  copyFileSync(FMNIST, path.join(workspace.dir, "models", "net.onnx"));
  const result = (await command("models/net.onnx", { out, like: "ort-qdq" })) as NewQuantizerResult;
  assert.equal(result.quantizer, uri(path.join(workspace.dir, out)));
  assert.match(readFileSync(path.join(workspace.dir, out), "utf8"), /export default class/);
  const oneLine = (pattern: RegExp) => (error: ResponseError<void>) => pattern.test(error.message) && !error.message.includes("\n");
  await assert.rejects(command(), oneLine(/qkit\.scaffoldQuantizer takes the model's URI or path as its first argument/));
  await assert.rejects(command(FMNIST, "x86"), oneLine(/second argument is an object \{ like, out, force \}/));
  await assert.rejects(command(FMNIST, { out }), oneLine(/by-command\.ts already exists/));
});
