import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadModel, onnx, saveModel } from "qkit/tooling";
import { LspClient } from "./helpers/lsp-client.js";
import { FMNIST, tempWorkspace } from "./helpers/workspace.js";
import { StatusRequest } from "../src/protocol.js";
import type { WorkDoneProgressBegin } from "vscode-languageserver-protocol";

const QUANTIZER = 'import { Quantizer } from "qkit";\nexport default class Q extends Quantizer { annotate(m: any) { return m; } }\n';

/** A chain of `n` Relu/Add nodes: large enough that loading it takes many turns of the server's event loop. */
function chainModel(n: number): Uint8Array {
  const info = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 8 }] } } } });
  const node: onnx.INodeProto[] = [];
  let previous = "x";
  for (let i = 0; i < n; i++) {
    node.push({ name: `n${i}`, opType: i % 2 ? "Relu" : "Add", input: i % 2 ? [previous] : [previous, "c"], output: [`t${i}`] });
    previous = `t${i}`;
  }
  return onnx.ModelProto.encode({
    irVersion: 8, opsetImport: [{ domain: "", version: 17 }],
    graph: { name: "chain", node, initializer: [{ name: "c", dataType: 1, dims: [8], rawData: new Uint8Array(32) }], input: [info("x")], output: [info(previous)] },
  }).finish();
}

test("the server answers requests while a large model loads, and then has all of it", async () => {
  const workspace = tempWorkspace([{ quantizer: "q.ts", model: "big.onnx" }], { "q.ts": QUANTIZER });
  writeFileSync(path.join(workspace.dir, "big.onnx"), chainModel(60_000));
  const client = await LspClient.start(workspace.dir, { trusted: false });
  try {
    await client.open(path.join(workspace.dir, "q.ts"));
    // Wait until the load says how far it got; a request sent now must be answered before the load ends.
    const events = await until(() => {
      for (const token of client.progressTokens) {
        const list = client.progress.get(token) ?? [];
        const begin = list.find((e): e is WorkDoneProgressBegin => e.kind === "begin");
        if (begin?.title === "qkit: loading model" && list.some((e) => e.kind !== "begin")) return list;
      }
      return undefined;
    });
    assert.equal(events[1]!.kind, "report", "the load reports progress before it ends");
    const during = await client.connection.sendRequest(StatusRequest);
    assert.equal(during.targets[0]!.modelState, "loading", "answered while the model was still loading");
    assert.ok(!events.some((e) => e.kind === "end"), "the load had not ended when the answer came");
    await until(() => events.some((e) => e.kind === "end") || undefined);
    const after = await client.connection.sendRequest(StatusRequest);
    assert.equal(after.targets[0]!.modelState, "loaded", after.targets[0]!.modelError);
    const completions = await client.completion(path.join(workspace.dir, "q.ts"), { line: 1, character: 0 });
    assert.ok(completions.length >= 0);
  } finally {
    await client.stop();
    workspace.cleanup();
  }
});

test("the server loads a model whose weights sit beside it in an external data file", async () => {
  const workspace = tempWorkspace([{ quantizer: "q.ts", model: "models/ext.onnx" }], { "q.ts": QUANTIZER });
  mkdirSync(path.join(workspace.dir, "models"));
  await saveModel(await loadModel(FMNIST), path.join(workspace.dir, "models", "ext.onnx"), { externalData: true });
  // The server's working directory is the workspace: the data file must be found beside the model, not there.
  const client = await LspClient.start(workspace.dir, { trusted: false });
  try {
    await client.open(path.join(workspace.dir, "q.ts"));
    const status = await until(async () => {
      const s = await client.connection.sendRequest(StatusRequest);
      return s.targets[0]!.modelState === "loaded" || s.targets[0]!.modelState === "error" ? s : undefined;
    });
    assert.equal(status.targets[0]!.modelState, "loaded", status.targets[0]!.modelError);
  } finally {
    await client.stop();
    workspace.cleanup();
  }
});

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}
