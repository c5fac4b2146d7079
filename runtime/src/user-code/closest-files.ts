import { readdirSync } from "node:fs";
import * as path from "node:path";
import { closestNames } from "../quantizer/options.js";

const SKIPPED_FOLDERS = new Set(["node_modules", "out", "dist"]);
/** Enough for a project folder; a huge tree is not walked to suggest a spelling. */
const MAX_ENTRIES = 5000;
const MAX_DEPTH = 3;

/** Paths under `root` (relative, `/`-separated) of files whose names end in one of `extensions`. */
function filesUnder(root: string, extensions: readonly string[]): string[] {
  const found: string[] = [];
  let seen = 0;
  const walk = (dir: string, rel: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      if (e.name.startsWith(".")) continue;
      const relative = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIPPED_FOLDERS.has(e.name)) walk(path.join(dir, e.name), relative, depth + 1);
      } else if (e.isFile() && extensions.some((x) => e.name.endsWith(x))) {
        found.push(relative);
      }
    }
  };
  walk(root, "", 0);
  return found;
}

/**
 * What a path that names no file most likely meant: the closest files under `root` with those extensions, and the
 * closest of `names` (a built-in quantizer's name, say), nearest first.
 */
export function closestFiles(missing: string, root: string, extensions: readonly string[], names: readonly string[] = []): string[] {
  const relative = (path.isAbsolute(missing) ? path.relative(root, missing) : missing).split(path.sep).join("/");
  // Paths share folders and extensions, so half the length would match unrelated files: a third is a misspelling.
  return closestNames(relative, [...names, ...filesUnder(root, extensions)], 3, Math.max(2, Math.floor(relative.length / 3)));
}

/** "; did you mean "a" or "b"?" for a message, or "" when nothing is close. */
export function didYouMean(candidates: readonly string[]): string {
  return candidates.length > 0 ? `; did you mean ${candidates.map((c) => JSON.stringify(c)).join(" or ")}?` : "";
}
