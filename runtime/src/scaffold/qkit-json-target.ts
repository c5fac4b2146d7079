import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CONFIG_FILE_NAME } from "../config/qkit-config.js";
import { QkitError } from "../errors.js";
import { writeFileAtomic } from "../onnx/atomic-write.js";

/** A qkit.json as read before a scaffold writes anything, and the change it will make. */
export interface PlannedTarget {
  file: string;
  /** The whole JSON with the new target appended; undefined when an equal target is already there. */
  next: Record<string, unknown> | undefined;
}

/** Paths in qkit.json are relative to its folder, with forward slashes on every platform. */
function relativePath(from: string, to: string): string {
  const relative = path.relative(from, to);
  return path.isAbsolute(relative) ? relative : relative.split(path.sep).join("/");
}

/**
 * Reads `dir/qkit.json` (or starts an empty one) and plans a target `{ quantizer, model }` with paths relative to it.
 * A file that is not a JSON object with a `targets` array is refused here, before the quantizer is written.
 */
export function planTarget(dir: string, quantizer: string, model: string): PlannedTarget {
  const file = path.join(dir, CONFIG_FILE_NAME);
  let json: Record<string, unknown> = { targets: [] };
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new QkitError("config", `${file}: not valid JSON (${(error as Error).message}); fix it before adding a target`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new QkitError("config", `${file}: must hold a JSON object { "targets": [...] }; fix it before adding a target`);
    }
    const targets = (parsed as { targets?: unknown }).targets;
    if (targets !== undefined && !Array.isArray(targets)) {
      throw new QkitError("config", `${file}: "targets" must be an array; fix it before adding a target`);
    }
    json = parsed as Record<string, unknown>;
  }
  const targets = (json.targets as unknown[] | undefined) ?? [];
  const entry = { quantizer: relativePath(dir, quantizer), model: relativePath(dir, model) };
  const same = (t: unknown) => {
    const target = t as { quantizer?: unknown; model?: unknown };
    return typeof target?.quantizer === "string" && typeof target.model === "string"
      && path.resolve(dir, target.quantizer) === quantizer && path.resolve(dir, target.model) === model;
  };
  if (targets.some(same)) return { file, next: undefined };
  return { file, next: { ...json, targets: [...targets, entry] } };
}

/** Writes the planned qkit.json atomically (two-space JSON, as the schema's examples are written). */
export async function writePlannedTarget(plan: PlannedTarget): Promise<void> {
  if (!plan.next) return;
  await writeFileAtomic(plan.file, [Buffer.from(`${JSON.stringify(plan.next, null, 2)}\n`)]);
}
