import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { StatusRequest, type StatusResult } from "../src/protocol.js";
import { findingsOf, LspClient } from "./helpers/lsp-client.js";
import { FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/**
 * The check after an edit runs in a spare sandbox that was ready before the edit came, whose model the server's
 * snapshot gave it: nothing is decoded while the edit waits. A check that leaves no trace (this tutorial quantizer)
 * hands its sandbox back, so no process starts for the next.
 */
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST }]);
let client: LspClient;

const status = (): Promise<StatusResult> => client.connection.sendRequest(StatusRequest);

/** The status once a spare is ready (they warm up in the background; a busy machine may take seconds). */
async function sparesReady(): Promise<StatusResult> {
  const giveUp = Date.now() + 60_000;
  for (;;) {
    const s = await status();
    if (s.checkSandboxes.ready >= 1) return s;
    if (Date.now() > giveUp) assert.fail(`no spare sandbox became ready: ${JSON.stringify(s.checkSandboxes)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true });
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, findingsOf(1));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("the check after an edit takes a spare that was ready, with the model from the server's snapshot", async () => {
  const lines = readFileSync(TUTORIAL, "utf8").split("\n");
  const index = lines.findIndex((l) => l.includes("return model;"));
  let current = lines[index]!;
  for (const version of [2, 3]) {
    const before = await sparesReady();
    const next = `${lines[index]} // edit ${version}`;
    const findings = client.waitFor(TUTORIAL, findingsOf(version));
    assert.equal(await client.changeLine(TUTORIAL, index + 1, current, next), version);
    current = next;
    await findings;
    const after = await status();
    const timings = after.targets[0]?.lastCheck?.timings;
    assert.ok(timings, "a finished check reports its timings");
    assert.equal(timings.warmSandbox, true, "the check's sandbox was ready before the check asked for it");
    assert.equal(timings.model, "snapshot", "that sandbox rebuilt the model from the server's snapshot, not by decoding the file");
    assert.deepEqual([after.checkSandboxes.started, after.checkSandboxes.spent], [before.checkSandboxes.started, before.checkSandboxes.spent], "the check's sandbox went back: none was replaced or started");
  }
});
