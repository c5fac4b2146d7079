import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { LspClient } from "./helpers/lsp-client.js";
import { FMNIST, tempWorkspace } from "./helpers/workspace.js";

/**
 * A quantizer that cannot load is one diagnostic in its own file: the runtime's error carries the location and the
 * message without the file prefix (QkitError's `location` and `detail`), so the editor shows them as they are. (A
 * syntax error is the type-checker's diagnostic alone; `qkit check` reports it as a finding, see test/cli.test.ts.)
 */
const NONE = "export const x = 1;\n";
const THROWS = 'import { Quantizer } from "qkit";\n\nthrow new Error("no backend config");\nexport default class Q extends Quantizer { annotate(m: any) { return m; } }\n';
const workspace = tempWorkspace(
  ["none.ts", "throws.ts"].map((quantizer) => ({ quantizer, model: FMNIST })),
  { "none.ts": NONE, "throws.ts": THROWS },
);
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir);
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

async function qkitDiagnostics(name: string) {
  const file = path.join(workspace.dir, name);
  await client.open(file);
  return (await client.waitFor(file, (ds) => ds.some((d) => d.source === "qkit"))).filter((d) => d.source === "qkit");
}

test("a module that exports no Quantizer: what is wrong and what to do, without the file's name", async () => {
  const [d, ...rest] = await qkitDiagnostics("none.ts");
  assert.deepEqual(rest, []);
  assert.equal(d!.code, "quantizer-no-quantizer");
  assert.equal(d!.message, 'exports no Quantizer; export a class that extends Quantizer from "qkit" (as the default export, or the only one)');
});

test("a module that throws while it loads: the diagnostic at the throwing line", async () => {
  const [d, ...rest] = await qkitDiagnostics("throws.ts");
  assert.deepEqual(rest, []);
  assert.equal(d!.code, "quantizer-threw");
  assert.equal(d!.message, "running the module threw Error: no backend config");
  assert.equal(d!.range.start.line, 2);
});
