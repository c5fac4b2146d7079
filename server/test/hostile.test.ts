import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { DidChangeConfigurationNotification } from "vscode-languageserver-protocol";
import { findingsOf, LspClient, positionOf } from "./helpers/lsp-client.js";
import { FMNIST, HOSTILE, ISOLATION, TUTORIAL, markers, tempWorkspace } from "./helpers/workspace.js";

/**
 * Quantizers that throw, loop forever, allocate gigabytes (on the heap and in typed arrays), call process.exit or
 * pollute prototypes: each gives exactly one diagnostic, at the line marked `// hostile: CODE`, and the server
 * answers a hover on a healthy file afterwards. Then a quantizer reads what an earlier one left behind.
 */
// The endless loop is stopped by the timeout; every other fixture gets a timeout it cannot reach on any machine, so
// what stops it is its own behaviour (a throw, the memory caps, an exit), not how busy the machine is.
const LOOP_TIMEOUT_MS = 2000;
const UNREACHABLE_TIMEOUT_MS = 120_000;
const fixtures = readdirSync(HOSTILE).filter((f) => f.endsWith(".ts")).sort();
const LEAVES = path.join(ISOLATION, "leaves-traces.ts");
const READS = path.join(ISOLATION, "reads-traces.ts");
const workspace = tempWorkspace([...fixtures.map((f) => path.join(HOSTILE, f)), LEAVES, READS, TUTORIAL].map((quantizer) => ({ quantizer, model: FMNIST })));
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true, settings: { checkTimeoutMs: LOOP_TIMEOUT_MS } });
  // The healthy file first: the first type-check loads TypeScript's libraries, which is not the quantizers' time.
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

for (const file of fixtures) {
  test(`${file}: one diagnostic at its line, and the server keeps serving`, async () => {
    const full = path.join(HOSTILE, file);
    const [expected] = markers(readFileSync(full, "utf8"), "hostile");
    assert.ok(expected, `${file} marks its line with // hostile: CODE`);
    const checkTimeoutMs = expected.code === "check-timeout" ? LOOP_TIMEOUT_MS : UNREACHABLE_TIMEOUT_MS;
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { qkit: { checkTimeoutMs } } });
    await client.open(full);
    const diagnostics = (await client.waitFor(full, (ds) => ds.some((d) => d.source === "qkit"))).filter((d) => d.source === "qkit");
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line + 1]), [[expected.code, expected.line]], JSON.stringify(diagnostics));

    const text = readFileSync(TUTORIAL, "utf8");
    const hover = await client.hover(TUTORIAL, positionOf(text, '"Conv"', 2));
    assert.match(JSON.stringify(hover?.contents), /getSourcePartitions matches/);
    await client.close(full);
  });
}

test("nothing a quantizer did leaked into the next check: globals, the runtime's classes, prototypes", async () => {
  await client.open(LEAVES);
  const left = await client.waitFor(LEAVES, (ds) => ds.some((d) => d.source === "qkit"));
  assert.deepEqual(left.filter((d) => d.severity === 1), [], "the quantizer that leaves traces ran to the end");
  const [expected] = markers(readFileSync(READS, "utf8"), "isolation");
  await client.open(READS);
  const read = (await client.waitFor(READS, (ds) => ds.some((d) => d.code === "quantizer-threw"))).filter((d) => d.code === "quantizer-threw");
  assert.deepEqual(read.map((d) => d.range.start.line + 1), [expected!.line]);
  assert.match(String(read[0]!.message), /traces: global=undefined runtime=undefined prototype=undefined$/);
});

test("after the hostile quantizers, a clean check still works", async () => {
  const text = readFileSync(TUTORIAL, "utf8");
  const lines = text.split("\n");
  const index = lines.findIndex((l) => l.includes("return model;"));
  const version = await client.changeLine(TUTORIAL, index + 1, lines[index]!, `${lines[index]!} // edited`);
  const diagnostics = await client.waitFor(TUTORIAL, findingsOf(version));
  assert.deepEqual(diagnostics.filter((d) => d.source === "qkit").map((d) => d.code), ["coverage"]);
});
