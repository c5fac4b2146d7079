import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { LspClient } from "./helpers/lsp-client.js";
import { BROKEN, FMNIST, tempWorkspace } from "./helpers/workspace.js";

/** A finding at a spec or annotation underlines the culprit (the option, the derivedFrom list, the map entry), not the call. */
const EXPECTED: Record<string, [string, string]> = {
  "quant-min-out-of-range.ts": ["quant-range-outside-dtype", "quantMin: -200"],
  "quant-range-inverted.ts": ["quant-range-inverted", "quantMin: 200"],
  "ch-axis-out-of-range.ts": ["ch-axis-out-of-range", "chAxis: 4"],
  "derived-arity.ts": ["derived-arity-mismatch", "derivedFrom: [[input, conv], [weight, conv], [input, conv]]"],
  "input-not-an-argument.ts": ["input-not-an-argument", "[conv1, activation]"],
  "node-from-another-graph.ts": ["node-from-another-graph", "[stranger, activation]"],
  "edge-not-in-graph.ts": ["edge-not-in-graph", "new SharedQuantizationSpec([conv, gemm])"],
};

test("trusted mode underlines the exact culprit of a finding", async () => {
  const files = Object.keys(EXPECTED);
  const { dir, cleanup } = tempWorkspace(files.map((f) => ({ quantizer: path.join(BROKEN, f), model: FMNIST })));
  const client = await LspClient.start(dir);
  try {
    for (const file of files) {
      const full = path.join(BROKEN, file);
      const text = readFileSync(full, "utf8");
      await client.open(full, text);
      const [code, culprit] = EXPECTED[file]!;
      const diagnostics = await client.waitFor(full, (ds) => ds.some((d) => d.code === code));
      const d = diagnostics.find((x) => x.code === code)!;
      const lines = text.split("\n");
      const underlined = (r: Diagnostic["range"]) => (r.start.line === r.end.line ? lines[r.start.line]!.slice(r.start.character, r.end.character) : [lines[r.start.line]!.slice(r.start.character), ...lines.slice(r.start.line + 1, r.end.line), lines[r.end.line]!.slice(0, r.end.character)].join("\n"));
      assert.equal(underlined(d.range), culprit, file);
      await client.close(full);
    }
  } finally {
    await client.stop();
    cleanup();
  }
});
