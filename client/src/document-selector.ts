import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { DocumentSelector } from "vscode-languageclient/node";

/** A path as a glob that matches exactly it: glob metacharacters in folder or file names become literal. */
function literalGlob(file: string): string {
  return file.replace(/\\/g, "/").replace(/[*?[\]{}!]/g, (c) => `[${c}]`);
}

/**
 * The quantizer files qkit.json's targets name (built-in names aside), absolute, sorted. Read here rather than asked
 * of the server because the selector is fixed when the client starts; an unreadable qkit.json names none (the server
 * reports what is wrong with it).
 */
export function targetQuantizerFiles(configFile: string): string[] {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configFile, "utf8"));
  } catch {
    return [];
  }
  const targets = (config as { targets?: unknown })?.targets;
  if (!Array.isArray(targets)) return [];
  const root = path.dirname(configFile);
  const files = targets
    .map((t) => (t as { quantizer?: unknown })?.quantizer)
    .filter((q): q is string => typeof q === "string" && /\.[cm]?[jt]s$/.test(q))
    .map((q) => path.resolve(root, q));
  return [...new Set(files)].sort();
}

/**
 * The documents the server serves: TypeScript/JavaScript under the qkit.json folder, the qkit.json itself, and every
 * quantizer a target names wherever it lives (an example that keeps its quantizers beside the folder still gets
 * diagnostics, lenses and hovers).
 */
export function documentSelectorFor(configFile: string): DocumentSelector {
  const root = literalGlob(path.dirname(configFile));
  const selector: DocumentSelector = [
    { scheme: "file", language: "typescript", pattern: `${root}/**/*` },
    { scheme: "file", language: "javascript", pattern: `${root}/**/*` },
    { scheme: "file", language: "json", pattern: literalGlob(configFile) },
  ];
  const inside = path.dirname(configFile) + path.sep;
  for (const file of targetQuantizerFiles(configFile)) {
    if (!file.startsWith(inside)) selector.push({ scheme: "file", pattern: literalGlob(file) });
  }
  return selector;
}
