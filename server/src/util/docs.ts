import * as path from "node:path";
import { existsSync } from "node:fs";
import { pathToUri } from "./uri.js";

let cached: string | null | undefined;

/**
 * Where docs/diagnostics.md is: beside the server in a checkout or an extension that ships the docs. Finding codes
 * link to its section per code; without the file, diagnostics carry the code alone.
 */
export function diagnosticsDoc(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "docs", "diagnostics.md");
    if (existsSync(candidate)) {
      cached = pathToUri(candidate);
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  return cached;
}

export function codeHref(code: string): string | undefined {
  const doc = diagnosticsDoc();
  return doc ? `${doc}#${code}` : undefined;
}
