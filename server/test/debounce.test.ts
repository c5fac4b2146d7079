import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { StatusRequest, type CheckTimings } from "../src/protocol.js";
import { findingsOf, LspClient } from "./helpers/lsp-client.js";
import { FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/**
 * Only a burst of typing waits for the debounce: an edit after a quiet gap (no edit within `qkit.debounceMs`) is
 * checked at once, an edit that follows another within it waits until the typing stops.
 */
const DEBOUNCE_MS = 2000;
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST }]);
let client: LspClient;
const lines = readFileSync(TUTORIAL, "utf8").split("\n");
const index = lines.findIndex((l) => l.includes("return model;"));
let current = lines[index]!;

const edit = (version: number) => {
  const next = `${lines[index]} // edit ${version}`;
  const sent = client.changeLine(TUTORIAL, index + 1, current, next);
  current = next;
  return sent;
};
async function lastTimings(): Promise<CheckTimings> {
  const status = await client.connection.sendRequest(StatusRequest);
  const timings = status.targets[0]?.lastCheck?.timings;
  assert.ok(timings, "a finished check reports its timings");
  return timings;
}

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true, settings: { debounceMs: DEBOUNCE_MS } });
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, findingsOf(1));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("an edit after a quiet gap is checked at once; an edit within the debounce of another waits", async () => {
  // Quiet for longer than the debounce since the file was opened.
  await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 100));
  const quiet = client.waitFor(TUTORIAL, findingsOf(2));
  assert.equal(await edit(2), 2);
  await quiet;
  const atOnce = await lastTimings();
  assert.equal(atOnce.checkedAtOnce, true, "the edit after a quiet gap was checked without a debounce");
  assert.equal(atOnce.debounceMs, 0);

  // Two edits in a row: the first starts at once, the second (within the debounce) cancels it and waits.
  assert.equal(await edit(3), 3);
  const burst = client.waitFor(TUTORIAL, findingsOf(4));
  assert.equal(await edit(4), 4);
  await burst;
  const debounced = await lastTimings();
  assert.equal(debounced.checkedAtOnce, false, "an edit within the debounce of the previous one waited for it");
  assert.ok(debounced.debounceMs >= DEBOUNCE_MS, `the debounce ran its course (${debounced.debounceMs} ms)`);
});
