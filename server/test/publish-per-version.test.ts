import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { PublishDiagnosticsParams } from "vscode-languageserver-protocol";
import { LspClient } from "./helpers/lsp-client.js";
import { FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/**
 * Edits at typing speed: each publish of a quantizer's diagnostics comes from one version of its text. Odd versions
 * (from 3 on) have a type error and run cleanly; even versions type-check and throw in annotate(). A publish holding
 * a type error beside the findings of an even version (or a version's findings without its type error) mixes two.
 */
const EDITS = 24;
const SPACING_MS = 200;
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST }]);
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true });
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
  // The first type-check loads TypeScript's libraries (seconds); until it is done there are no type errors to mix.
  while (!client.logs.some((l) => l.startsWith("type-checked tutorial-quantizer.ts"))) await new Promise((r) => setTimeout(r, 100));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

const hasTypeError = (version: number) => version > 1 && version % 2 === 1;

test(`${EDITS} edits ${SPACING_MS} ms apart: no publish mixes type errors and findings of different versions`, async () => {
  const lines = readFileSync(TUTORIAL, "utf8").split("\n");
  const index = lines.findIndex((l) => l.includes("return model;"));
  const original = lines[index]!;
  const indent = /^\s*/.exec(original)![0];
  const publishes: PublishDiagnosticsParams[] = [];
  let last = 0;
  const settled = client.waitFor(TUTORIAL, (ds, p) => {
    publishes.push(p);
    return last > 0 && ds.some((d) => d.source === "qkit" && (d.data as { version?: number } | undefined)?.version === last) && ds.some((d) => d.source === "ts") === hasTypeError(last);
  }, 120_000);
  let current = original;
  for (let i = 0; i < EDITS; i++) {
    const version = i + 2;
    const next = hasTypeError(version) ? `${indent}const typeError${version}: number = "text"; return model;` : `${indent}if (model) throw new Error("finding of version ${version}"); return model;`;
    last = await client.changeLine(TUTORIAL, index + 1, current, next);
    assert.equal(last, version);
    current = next;
    await new Promise((r) => setTimeout(r, SPACING_MS));
  }
  await settled;
  const mixed = publishes.flatMap((p) => {
    const typeErrors = p.diagnostics.filter((d) => d.source === "ts");
    const findingVersions = new Set(p.diagnostics.filter((d) => d.source === "qkit").map((d) => (d.data as { version?: number } | undefined)?.version));
    return [...findingVersions].filter((v) => v !== undefined && hasTypeError(v) !== typeErrors.length > 0).map((v) => `findings of version ${v} with ${typeErrors.length} type error(s): ${typeErrors.map((d) => d.message).join("; ")}`);
  });
  assert.ok(publishes.length > 1);
  assert.deepEqual(mixed, [], `${mixed.length} of ${publishes.length} publishes mixed versions`);
});
