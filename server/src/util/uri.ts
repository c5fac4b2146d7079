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
