import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { DidChangeConfigurationNotification } from "vscode-languageserver-protocol";
import { StatusRequest, type StatusResult } from "../src/protocol.js";
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
const LEAVERS = readdirSync(ISOLATION)
  .filter((f) => f.startsWith("leaves-") && f.endsWith(".ts"))
  .sort()
  .map((f) => path.join(ISOLATION, f));
const READS = path.join(ISOLATION, "reads-traces.ts");
const QUIET = path.join(ISOLATION, "logs-without-traces.ts");
const workspace = tempWorkspace([...fixtures.map((f) => path.join(HOSTILE, f)), ...LEAVERS, READS, QUIET, TUTORIAL].map((quantizer) => ({ quantizer, model: FMNIST })));
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true, settings: { checkTimeoutMs: LOOP_TIMEOUT_MS } });
  // The healthy file first: the first type-check loads TypeScript's libraries, which is not the quantizers' time.
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

const status = (): Promise<StatusResult> => client.connection.sendRequest(StatusRequest);

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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

test("nothing a quantizer did leaked into the next check: each kind of trace sends its sandbox away", async () => {
  const readerText = readFileSync(READS, "utf8");
  const [expected] = markers(readerText, "isolation");
  let reads = 0;
  const readTraces = async (): Promise<string> => {
    const version = reads++ === 0 ? (await client.open(READS), 1) : await client.replaceText(READS, `${readerText}\n// read ${reads}\n`);
    const read = (await client.waitFor(READS, findingsOf(version))).filter((d) => d.code === "quantizer-threw");
    assert.deepEqual(read.map((d) => d.range.start.line + 1), [expected!.line]);
    return String(read[0]!.message).replace(/^.*traces: /s, "");
  };
  const clean = await readTraces();
  assert.equal(clean, `global=undefined runtime=undefined prototype=undefined timer=undefined listeners=${process.listenerCount("warning")} env=undefined builtin=undefined module=0`);
  for (const leaver of LEAVERS) {
    const spent = (await status()).checkSandboxes.spent;
    await client.open(leaver);
    const left = await client.waitFor(leaver, (ds) => ds.some((d) => d.source === "qkit"));
    assert.deepEqual(left.filter((d) => d.severity === 1 && d.source === "qkit"), [], `${path.basename(leaver)} ran to the end`);
    // The sandbox it ran in is not given the next check: it is replaced.
    await until(async () => (await status()).checkSandboxes.spent > spent, `the sandbox ${path.basename(leaver)} ran in is replaced`);
    assert.equal(await readTraces(), clean, `what ${path.basename(leaver)} left`);
    await client.close(leaver);
  }
});

for (const quantizer of [TUTORIAL, QUIET]) {
  test(`a check that leaves no trace hands its sandbox to the next check: ${path.basename(quantizer)}`, async () => {
    const text = readFileSync(quantizer, "utf8");
    // The tutorial is open since the start.
    const opened = quantizer !== TUTORIAL;
    if (opened) await client.open(quantizer);
    let edits = 0;
    const check = async () => {
      const version = await client.replaceText(quantizer, `${text}\n// edit ${++edits}\n`);
      await client.waitFor(quantizer, findingsOf(version));
      return (await status()).targets.find((t) => t.quantizer === quantizer)?.lastCheck?.timings;
    };
    await check();
    // Every spare ready: the one back from the check is first in line.
    await until(async () => (await status()).checkSandboxes.ready === 3, "three spares ready");
    const { spent, started } = (await status()).checkSandboxes;
    const timings = await check();
    assert.equal(timings?.reusedSandbox, true, JSON.stringify(timings));
    const after = (await status()).checkSandboxes;
    assert.deepEqual([after.spent, after.started], [spent, started], "no sandbox replaced or started for it");
    if (opened) await client.close(quantizer);
  });
}

test("after the hostile quantizers, a clean check still works", async () => {
  const text = readFileSync(TUTORIAL, "utf8");
  const lines = text.split("\n");
  const index = lines.findIndex((l) => l.includes("return model;"));
  const version = await client.changeLine(TUTORIAL, index + 1, lines[index]!, `${lines[index]!} // edited`);
  const diagnostics = await client.waitFor(TUTORIAL, findingsOf(version));
  assert.deepEqual(diagnostics.filter((d) => d.source === "qkit").map((d) => d.code), ["coverage"]);
});
