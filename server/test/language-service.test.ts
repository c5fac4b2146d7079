import { test } from "node:test";
import assert from "node:assert/strict";
import fs = require("node:fs");
import * as path from "node:path";
import * as ts from "typescript";
import { qkitTypings } from "qkit/tooling";
import { QuantizerLanguageService } from "../src/typescript/language-service.js";
import { TUTORIAL } from "./helpers/workspace.js";

/**
 * A program update after an edit looks at the workspace's files only: TypeScript's libraries and qkit's typings are
 * the server's own and are read once (stat'ing each of them on every edit was a good part of an update).
 */
test("an edit's program update stats no file of TypeScript's libraries or qkit's typings", () => {
  let text = fs.readFileSync(TUTORIAL, "utf8");
  let version = 1;
  const service = new QuantizerLanguageService((f) => (f === TUTORIAL ? { text, version } : undefined), path.dirname(TUTORIAL));
  service.addRoot(TUTORIAL);
  assert.deepEqual(service.diagnostics(TUTORIAL), [], "the tutorial quantizer type-checks");
  const own = [path.dirname(ts.getDefaultLibFilePath({})), path.dirname(qkitTypings())];
  const stated: string[] = [];
  const statSync = fs.statSync;
  (fs as { statSync: typeof fs.statSync }).statSync = ((file: fs.PathLike, ...rest: unknown[]) => {
    stated.push(String(file));
    return (statSync as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.statSync;
  try {
    text += "\n// an edit\n";
    version++;
    service.update();
    const diagnostics = service.diagnostics(TUTORIAL);
    assert.deepEqual(diagnostics, [], "still no type errors");
  } finally {
    (fs as { statSync: typeof fs.statSync }).statSync = statSync;
  }
  const ownTypings = stated.filter((f) => f.endsWith(".d.ts") && own.some((dir) => f.startsWith(dir + path.sep)));
  assert.deepEqual(ownTypings, [], "no library or typings file was stat'ed");
});

/**
 * Edits reparse only the span they changed (the snapshots tell TypeScript what changed): after a series of edits at the
 * start, middle and end of the file, the program's tree and type errors are those of the same text parsed afresh.
 */
test("after edits anywhere in the file, the diagnostics are those of the text checked afresh", () => {
  const original = fs.readFileSync(TUTORIAL, "utf8");
  let text = original;
  let version = 1;
  const service = new QuantizerLanguageService((f) => (f === TUTORIAL ? { text, version } : undefined), path.dirname(TUTORIAL));
  service.addRoot(TUTORIAL);
  assert.deepEqual(service.diagnostics(TUTORIAL), []);
  const at = original.indexOf("return model;");
  const edits: ((t: string) => string)[] = [
    (t) => `const early: number = "not a number";\n${t}`,
    (t) => t.replace("return model;", "return model.graph;"),
    (t) => t.replace("quantMax: 127,", "quantMax: 127, quantMaximum: 1,"),
    (t) => `${t}\nexport const late: string = 42;\n`,
    (t) => t.replace('const early: number = "not a number";\n', ""),
    (t) => t.slice(0, at) + t.slice(at).replace("return model.graph;", "return model;"),
  ];
  const summary = (d: ts.Diagnostic[]) => d.map((x) => `${x.start}:${x.length}:${x.code}`).sort();
  for (const edit of edits) {
    text = edit(text);
    version++;
    service.update();
    const incremental = service.diagnostics(TUTORIAL);
    const fresh = new QuantizerLanguageService((f) => (f === TUTORIAL ? { text, version: 1 } : undefined), path.dirname(TUTORIAL));
    fresh.addRoot(TUTORIAL);
    assert.deepEqual(summary(incremental), summary(fresh.diagnostics(TUTORIAL)), `after ${edit.toString()}`);
  }
  assert.ok(summary(service.diagnostics(TUTORIAL)).length > 0, "the edits left type errors to compare");
});
