import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DidChangeConfigurationNotification } from "vscode-languageserver-protocol";
import { DidChangeTrustNotification, StatusRequest } from "../src/protocol.js";
import { LspClient } from "./helpers/lsp-client.js";
import { FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/**
 * What a client sends is input like any other: trust is given only by the boolean true, settings are checked and
 * clamped with a one-line warning naming each, and malformed messages never end the session.
 */
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST }]);
const clients: LspClient[] = [];

async function start(options: Record<string, unknown>): Promise<{ client: LspClient; warnings: string[] }> {
  const client = await LspClient.start(workspace.dir, options as never);
  clients.push(client);
  const warnings: string[] = [];
  client.connection.onNotification("window/showMessage", (p: { type: number; message: string }) => void warnings.push(p.message));
  return { client, warnings };
}

/** The tutorial's diagnostics once a check ran on the given version of its text. */
async function checkedAt(client: LspClient, predicate: (codes: string[]) => boolean): Promise<string[]> {
  const diagnostics = await client.waitFor(TUTORIAL, (ds) => predicate(ds.filter((d) => d.source === "qkit").map((d) => String(d.code))));
  return diagnostics.filter((d) => d.source === "qkit").map((d) => String(d.code));
}

after(async () => {
  for (const client of clients) await client.stop();
  workspace.cleanup();
});

test('trust "false" in the initialization options is no trust: the quantizer does not run', async () => {
  const { client } = await start({ trusted: "false" });
  assert.equal((await client.connection.sendRequest(StatusRequest)).trusted, false);
  await client.open(TUTORIAL);
  const codes = await checkedAt(client, (c) => c.length > 0);
  assert.ok(codes.includes("workspace-untrusted"), JSON.stringify(codes));
  assert.ok(!codes.includes("coverage"), "the quantizer ran");
});

test("qkit/didChangeTrust grants trust only for the boolean true", async () => {
  const { client } = await start({ trusted: true });
  const trusted = async () => (await client.connection.sendRequest(StatusRequest)).trusted;
  assert.equal(await trusted(), true);
  for (const value of ["true", 1, {}, null]) {
    await client.connection.sendNotification(DidChangeTrustNotification, { trusted: value as never });
    assert.equal(await trusted(), false, `after trusted: ${JSON.stringify(value)}`);
    await client.connection.sendNotification(DidChangeTrustNotification, { trusted: true });
    assert.equal(await trusted(), true);
  }
});

test("a timeout of 1e12 ms is clamped with a warning naming the setting, and checks run", async () => {
  const { client, warnings } = await start({ trusted: true });
  await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { qkit: { checkTimeoutMs: 1e12, debounceMs: "fast" } } });
  await client.open(TUTORIAL);
  assert.deepEqual(await checkedAt(client, (c) => c.includes("coverage") || c.includes("check-timeout")), ["coverage"]);
  assert.ok(warnings.some((w) => /^qkit\.checkTimeoutMs: 1000000000000 is outside .*; using 600000$/.test(w)), JSON.stringify(warnings));
  assert.ok(warnings.some((w) => /^qkit\.debounceMs: "fast" is not a number/.test(w)), JSON.stringify(warnings));
  assert.ok(warnings.every((w) => !w.includes("\n")));
});

test("settings in the initialization options are validated the same way", async () => {
  const { client, warnings } = await start({ trusted: true, settings: { checkTimeoutMs: 1e12, checkMemoryLimitMb: -5 } });
  await client.open(TUTORIAL);
  assert.deepEqual(await checkedAt(client, (c) => c.includes("coverage") || c.includes("check-timeout")), ["coverage"]);
  // Warnings given while initializing are sent once the client is ready for them.
  assert.ok(warnings.some((w) => w.startsWith("qkit.checkTimeoutMs:")) && warnings.some((w) => w.startsWith("qkit.checkMemoryLimitMb: -5")), JSON.stringify(warnings));
});

test("malformed JSON-RPC messages do not end the session", async () => {
  const { client } = await start({ trusted: true });
  const raw = (message: unknown) => {
    const body = JSON.stringify(message);
    client.process.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  raw({ jsonrpc: "2.0", method: 5, params: {} });
  raw({ jsonrpc: "2.0", id: 41, method: 5 });
  raw({ jsonrpc: "2.0", method: { name: "x" } });
  raw({ jsonrpc: "2.0", method: "textDocument/didOpen", params: 5 });
  raw({ jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri: 5, text: 1 } } });
  raw({ jsonrpc: "2.0", method: "textDocument/didChange", params: { textDocument: { uri: "file:///nowhere.ts", version: "a" }, contentChanges: 5 } });
  raw({ jsonrpc: "2.0", method: "workspace/didChangeConfiguration", params: null });
  raw({ jsonrpc: "2.0", method: "workspace/didChangeConfiguration", params: { settings: { qkit: "fast" } } });
  raw({ jsonrpc: "2.0", method: "qkit/didChangeTrust", params: null });
  raw(5);
  raw(null);
  const status = await client.connection.sendRequest(StatusRequest);
  assert.equal(status.trusted, false, "a trust notification without a boolean true left the workspace untrusted");
  await client.connection.sendNotification(DidChangeTrustNotification, { trusted: true });
  await client.open(TUTORIAL, readFileSync(TUTORIAL, "utf8"));
  assert.deepEqual(await checkedAt(client, (c) => c.includes("coverage")), ["coverage"]);
  assert.equal(client.process.exitCode, null);
});
