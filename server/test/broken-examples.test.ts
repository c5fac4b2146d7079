import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { loadModel, loadQuantizer, runCheck } from "qkit/tooling";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { LspClient } from "./helpers/lsp-client.js";
import { BROKEN, FMNIST, markers, tempWorkspace } from "./helpers/workspace.js";
import { FIXES } from "./helpers/broken-fixes.js";

/**
 * Every example of examples/broken, edited through a real stdio client: the server's diagnostics are exactly the
 * findings `qkit check` gives (same code, severity, line, column and message, same related lines), and fixing the
 * line clears them.
 */
const files = readdirSync(BROKEN).filter((f) => f.endsWith(".ts") && f !== "common.ts").sort();
const workspace = tempWorkspace(files.map((f) => ({ quantizer: path.join(BROKEN, f), model: FMNIST })));
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir);
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

const fromChecker = (ds: Diagnostic[]) => ds.filter((d) => d.source === "qkit");
const ofVersion = (version: number) => (ds: Diagnostic[]) => fromChecker(ds).length > 0 && fromChecker(ds).every((d) => (d.data as { version?: number }).version === version);

test("every broken example has a fix", () => {
  assert.deepEqual(files.filter((f) => !FIXES[f]), []);
});

for (const file of files) {
  test(`examples/broken/${file}: the diagnostics qkit check gives, at the same lines; fixing the line clears them`, async () => {
    const full = path.join(BROKEN, file);
    const text = readFileSync(full, "utf8");
    await client.open(full);
    const diagnostics = fromChecker(await client.waitFor(full, ofVersion(1)));

    const loaded = loadQuantizer(full);
    const { findings } = runCheck(await loadModel(FMNIST), loaded.quantizer);
    const expected = findings.map((f) => {
      const site = f.location ?? loaded.classSite;
      return { code: f.code, severity: f.severity, line: site.line, column: site.column, message: f.message, related: f.related.map((r) => (r.location ?? loaded.classSite).line) };
    });
    const severities = ["", "error", "warning", "information"];
    // Where the range underlines a part of the checker's line (an option, an entry), data.site keeps that line.
    const siteOf = (d: Diagnostic) => (d.data as { site?: { line: number; column: number } }).site ?? { line: d.range.start.line + 1, column: d.range.start.character + 1 };
    const actual = diagnostics.map((d) => ({
      code: d.code,
      severity: severities[d.severity!],
      line: siteOf(d).line,
      column: siteOf(d).column,
      message: d.message,
      related: (d.relatedInformation ?? []).map((r) => r.location.range.start.line + 1),
    }));
    const order = (a: { line: number; code: unknown }, b: { line: number; code: unknown }) => a.line - b.line || String(a.code).localeCompare(String(b.code));
    assert.deepEqual(actual.sort(order), expected.sort(order));
    // The examples' own markers agree (the checker tests hold the checker to them; this holds the server).
    const marked = markers(text, "expect");
    assert.deepEqual(actual.filter((d) => d.severity !== "information").map(({ code, line }) => ({ code, line })).sort(order), marked.sort(order));
    for (const d of diagnostics.filter((x) => x.severity !== 3)) {
      assert.match(d.codeDescription?.href ?? "", new RegExp(`diagnostics\\.md#${String(d.code)}$`));
    }

    const [from, to] = FIXES[file]!;
    const lines = text.split("\n");
    const index = lines.findIndex((l) => l.includes(from));
    assert.ok(index >= 0, `the fix for ${file} finds its line`);
    const version = await client.changeLine(full, index + 1, lines[index]!, lines[index]!.replace(from, to));
    const fixed = fromChecker(await client.waitFor(full, ofVersion(version)));
    assert.deepEqual(fixed.filter((d) => d.severity !== 3).map((d) => [d.code, d.range.start.line + 1, d.message]), [], "fixing the line leaves only the coverage note");
    await client.close(full);
  });
}
