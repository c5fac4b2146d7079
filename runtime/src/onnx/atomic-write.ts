import { promises as fs } from "node:fs";
import * as path from "node:path";
import { crypto } from "../lazy-builtins.js";

/** A temp file beside `target`, so the final rename stays on one file system. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${crypto().randomBytes(4).toString("hex")}.tmp`);
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Remove the temp files of our own naming (`tempPathFor`) that a killed writer left beside `target` or beside files
 * whose names start with `target`'s (its data files): only those whose process is gone, so a write in progress in
 * another process keeps its temp file.
 */
export async function removeStaleTempFiles(target: string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const entries = await fs.readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = TEMP_NAME.exec(entry);
    if (!match || (match[1] !== base && !match[1]!.startsWith(`${base}.`))) continue;
    if (processAlive(Number(match[2]))) continue;
    await fs.rm(path.join(dir, entry), { force: true });
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Move a complete temp file into place (see writeTempFile); the temp file is removed when that fails. */
export async function commitTempFile(temp: string, target: string): Promise<void> {
  await fs.rename(temp, target).catch(async (error) => {
    await fs.rm(temp, { force: true });
    throw error;
  });
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
  await commitTempFile(await writeTempFile(target, chunks), target);
}
