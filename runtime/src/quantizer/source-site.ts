import * as path from "node:path";

/** Where user code did something: a file and a 1-based line and column, in the TypeScript source when mapped. */
export interface SourceSite {
  file: string;
  line: number;
  column: number;
}

// Frames inside qkit itself (this package's compiled files) and inside Node are never the user's line.
const QKIT_ROOT = path.resolve(__dirname, "..");
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

/** The user-code frames of a stack trace, innermost first. */
export function userFrames(stack: string | undefined): SourceSite[] {
  const sites: SourceSite[] = [];
  for (const line of (stack ?? "").split("\n")) {
    if (!line.trimStart().startsWith("at ")) continue;
    const match = FRAME.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith("file://") ? new URL(match[1]!).pathname : match[1]!;
    if (!path.isAbsolute(file) || file.startsWith(QKIT_ROOT + path.sep) || file.startsWith("node:")) continue;
    sites.push({ file, line: Number(match[2]), column: Number(match[3]) });
  }
  return sites;
}

/**
 * The line of user code that is running now: the innermost frame outside qkit. Specs and annotations record it when
 * they are created, so every finding can point at the line that made the mistake.
 */
export function captureSite(): SourceSite | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureSite);
  Error.stackTraceLimit = limit;
  return userFrames(holder.stack)[0];
}

export function formatSite(site: SourceSite | undefined, relativeTo = process.cwd()): string {
  if (!site) return "<unknown>";
  const file = path.isAbsolute(site.file) ? path.relative(relativeTo, site.file) || site.file : site.file;
  return `${file}:${site.line}:${site.column}`;
}
