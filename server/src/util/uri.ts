import { fileURLToPath, pathToFileURL } from "node:url";
import * as path from "node:path";

/** LSP speaks URIs, the runtime paths; clients differ in how they escape URIs, so paths are the keys everywhere. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return path.normalize(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export function pathToUri(file: string): string {
  return pathToFileURL(file).href;
}

/** A command argument: a URI as given, or a path (absolute, or relative to the workspace root) as a plain client's user types it. */
export function argumentUri(value: string, root: string): string {
  return /^[a-z][\w+.-]+:/i.test(value) && !path.isAbsolute(value) ? value : pathToUri(path.resolve(root, value));
}
