import * as path from "node:path";
import { pointLocation, type SourceLocation } from "../source-location.js";

// Frames inside qkit itself (this package's compiled files) and inside Node are never the user's line.
const QKIT_ROOT = path.resolve(__dirname, "..");
// V8 hands a stack over only as text ("    at f (/abs/file.ts:12:5)"): this is where that text becomes locations.
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?$/;

/**
 * The user-code frames of a stack trace, innermost first, as point locations (a frame says where a call starts,
 * not where it ends). Positions are the TypeScript source's where source maps are enabled.
 */
export function userFrames(stack: string | undefined): SourceLocation[] {
  const sites: SourceLocation[] = [];
  for (const line of (stack ?? "").split("\n")) {
    if (!line.trimStart().startsWith("at ")) continue;
    const match = FRAME.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.startsWith("file://") ? new URL(match[1]!).pathname : match[1]!;
    if (!path.isAbsolute(file) || file.startsWith(QKIT_ROOT + path.sep) || file.startsWith("node:")) continue;
    sites.push(pointLocation(file, Number(match[2]), Number(match[3])));
  }
  return sites;
}

function stackBelow(fn: (...args: never[]) => unknown): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, fn);
  Error.stackTraceLimit = limit;
  return holder.stack;
}

/** While annotate() runs: how many user frames lie outside it (a script calling runCheck), which no chain includes. */
let annotating: { outerFrames: number } | undefined;
const callers = new WeakMap<SourceLocation, readonly SourceLocation[]>();

/**
 * Run `annotate` so that sites captured inside it remember the user frames that called them, up to annotate itself:
 * a spec made by a helper can then be reported where the quantizer called the helper.
 */
export function withCallChains<T>(annotate: () => T): T {
  const previous = annotating;
  annotating = { outerFrames: userFrames(stackBelow(withCallChains)).length };
  try {
    return annotate();
  } finally {
    annotating = previous;
  }
}

/** The user frames that called the code at `site`, innermost first, ending in annotate(); empty when there are none. */
export function callersOf(site: SourceLocation): readonly SourceLocation[] {
  return callers.get(site) ?? [];
}

/**
 * The line of user code that is running now: the innermost frame outside qkit. Specs and annotations record it when
 * they are created, so every finding can point at the line that made the mistake.
 */
export function captureSite(): SourceLocation | undefined {
  const frames = userFrames(stackBelow(captureSite));
  const site = frames[0];
  if (site && annotating) {
    const chain = frames.slice(1, Math.max(1, frames.length - annotating.outerFrames));
    if (chain.length > 0) callers.set(site, chain);
  }
  return site;
}
