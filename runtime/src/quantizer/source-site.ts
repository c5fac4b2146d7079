import * as path from "node:path";
import { findSourceMap, type SourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { pointLocation, type SourceLocation } from "../source-location.js";

// Frames inside qkit itself (this package's compiled files) and inside Node are never the user's line.
const QKIT_ROOT = path.resolve(__dirname, "..");
const QKIT_PREFIX = QKIT_ROOT + path.sep;
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
    const file = match[1]!.startsWith("file://") ? fileURLToPath(match[1]!) : match[1]!;
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

/**
 * The user frames below `fn`, as `userFrames(stackBelow(fn))` gives them, without formatting the whole stack as
 * text: with source maps on, Node maps every frame of it (qkit's and Node's included) on each capture, which made
 * recording a site cost a millisecond. Here V8's call sites are read directly, qkit's and Node's are skipped by their
 * file, and only the user's are mapped. Anything unexpected (user code that took over Error.prepareStackTrace) takes
 * the text path.
 */
function userFramesBelow(fn: (...args: never[]) => unknown): SourceLocation[] {
  const callSites = callSitesBelow(fn);
  if (!callSites) return userFrames(stackBelow(fn));
  try {
    const sites: SourceLocation[] = [];
    for (const callSite of callSites) {
      const site = mappedUserSite(callSite);
      if (site) sites.push(site);
    }
    return sites;
  } catch {
    return userFrames(stackBelow(fn));
  }
}

function callSitesBelow(fn: (...args: never[]) => unknown): NodeJS.CallSite[] | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = 64;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, fn);
    // Read before prepareStackTrace is put back: V8 formats the stack on first access.
    const stack = holder.stack;
    return Array.isArray(stack) ? (stack as NodeJS.CallSite[]) : undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** Source maps by generated file, while one annotate() runs (a file is not loaded twice meanwhile). */
let sourceMaps: Map<string, SourceMap | undefined> | undefined;

/**
 * The source map of each user module qkit compiled, by file, its latest compile. Node keeps its own only while the
 * module object lives: a loader collected before annotate() ran (a quantizer loaded, then checked after a garbage
 * collection) left every recorded site on the JavaScript lines, one line and a few columns off.
 */
const compiledMaps = new Map<string, SourceMap>();

/** Keeps the source map Node made for `file` when qkit compiled it (UserModuleLoader, right after compiling). */
export function rememberSourceMap(file: string): void {
  const map = findSourceMap(file);
  if (map) compiledMaps.set(file, map);
}

/** A call site outside qkit and Node, at its TypeScript position when its file has a source map (as Node maps it). */
function mappedUserSite(callSite: NodeJS.CallSite): SourceLocation | undefined {
  const generated = callSite.getFileName();
  if (!generated || generated.startsWith("node:") || generated.startsWith(QKIT_PREFIX)) return undefined;
  const line = callSite.getLineNumber();
  const column = callSite.getColumnNumber();
  if (line === null || column === null) return undefined;
  const map = sourceMapOf(generated);
  const entry = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  const mapped = entry?.originalSource && entry.originalLine !== undefined && entry.originalColumn !== undefined;
  const source = mapped ? entry.originalSource! : generated;
  const file = source.startsWith("file://") ? fileURLToPath(source) : source;
  if (!path.isAbsolute(file) || file.startsWith(QKIT_PREFIX)) return undefined;
  return mapped ? pointLocation(file, entry.originalLine! + 1, entry.originalColumn! + 1) : pointLocation(file, line, column);
}

function sourceMapOf(file: string): SourceMap | undefined {
  // Node maps frames only while source maps are on (older Node versions do not say; their cache is empty when off).
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === false) return undefined;
  if (sourceMaps?.has(file)) return sourceMaps.get(file);
  const map = compiledMaps.get(file) ?? findSourceMap(file);
  sourceMaps?.set(file, map);
  return map;
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
  const previousMaps = sourceMaps;
  annotating = { outerFrames: userFramesBelow(withCallChains).length };
  sourceMaps = new Map();
  try {
    return annotate();
  } finally {
    annotating = previous;
    sourceMaps = previousMaps;
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
  const frames = userFramesBelow(captureSite);
  const site = frames[0];
  if (site && annotating) {
    const chain = frames.slice(1, Math.max(1, frames.length - annotating.outerFrames));
    if (chain.length > 0) callers.set(site, chain);
  }
  return site;
}
