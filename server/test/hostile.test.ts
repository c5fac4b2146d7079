import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { LspClient, positionOf } from "./helpers/lsp-client.js";
import { FMNIST, HOSTILE, TUTORIAL, markers, tempWorkspace } from "./helpers/workspace.js";

/**
 * Quantizers that throw, loop forever, allocate gigabytes (on the heap and in typed arrays), call process.exit or
 * pollute prototypes: each gives exactly one diagnostic, at the line marked `// hostile: CODE`, within the timeout
 * plus a second, and the server answers a hover on a healthy file afterwards.
 */
const TIMEOUT_MS = 2000;
const fixtures = readdirSync(HOSTILE).filter((f) => f.endsWith(".ts")).sort();
const workspace = tempWorkspace([...fixtures.map((f) => path.join(HOSTILE, f)), TUTORIAL].map((quantizer) => ({ quantizer, model: FMNIST })));
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true, settings: { checkTimeoutMs: TIMEOUT_MS } });
  // The healthy file first: the first type-check loads TypeScript's libraries, which is not the quantizers' time.
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

for (const file of fixtures) {
  test(`${file}: one diagnostic at its line within the timeout + 1 s, and the server keeps serving`, async () => {
    const full = path.join(HOSTILE, file);
    const [expected] = markers(readFileSync(full, "utf8"), "hostile");
    assert.ok(expected, `${file} marks its line with // hostile: CODE`);
    const started = performance.now();
    await client.open(full);
    const diagnostics = (await client.waitFor(full, (ds) => ds.some((d) => d.source === "qkit"), TIMEOUT_MS + 1000)).filter((d) => d.source === "qkit");
    const elapsed = performance.now() - started;
    assert.ok(elapsed <= TIMEOUT_MS + 1000, `took ${Math.round(elapsed)} ms`);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line + 1]), [[expected.code, expected.line]], JSON.stringify(diagnostics));

    const text = readFileSync(TUTORIAL, "utf8");
    const hover = await client.hover(TUTORIAL, positionOf(text, '"Conv"', 2));
    assert.match(JSON.stringify(hover?.contents), /getSourcePartitions matches/);
    await client.close(full);
  });
}

test("nothing a quantizer did leaked into the server: a clean check still works", async () => {
  const text = readFileSync(TUTORIAL, "utf8");
  const lines = text.split("\n");
  const index = lines.findIndex((l) => l.includes("return model;"));
  const version = await client.changeLine(TUTORIAL, index + 1, lines[index]!, `${lines[index]!} // edited`);
  const diagnostics = await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit" && (d.data as { version?: number }).version === version));
  assert.deepEqual(diagnostics.filter((d) => d.source === "qkit").map((d) => d.code), ["coverage"]);
  assert.equal(({} as Record<string, unknown>).isQuantized, undefined);
});
