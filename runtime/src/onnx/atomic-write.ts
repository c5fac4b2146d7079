import { promises as fs } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

/** A temp file beside `target`, so the final rename stays on one file system. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** Write chunks to a new temp file beside `target` and flush it; returns its path. Nothing is left on failure. */
export async function writeTempFile(target: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<string> {
  const temp = tempPathFor(target);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, "wx");
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    return temp;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/**
 * Readers see the old file or the complete new one, never half of it, and a failure or a kill leaves `target`
 * untouched: the data goes to a temp file that is renamed over `target` once complete.
 */
export async function writeFileAtomic(target: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
  const temp = await writeTempFile(target, chunks);
  await fs.rename(temp, target).catch(async (error) => {
    await fs.rm(temp, { force: true });
    throw error;
  });
}
