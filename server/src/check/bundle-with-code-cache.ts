/**
 * What a check sandbox runs when the bundle is there (worker-file.ts): `check-worker.bundle.js`, compiled with V8's
 * code cache. A fresh sandbox starts whenever a check was stopped or left a trace, and compiling the bundle's 1.7 MB
 * is a good part of its start;
 * with the cache V8 takes the bytecode of everything the bundle's top level ran instead.
 *
 * The cache is written by the first sandbox that finds none that fits, once it has checked its own model with a
 * built-in quantizer (check-worker.ts, warmUp): the cache then holds the bytecode of everything a check runs, not only
 * of the bundle's top level. That is before the sandbox takes a job, so before any user code could run. A cache is for one bundle
 * (its size and modification time), one Node and one set of V8 flags (the heap cap is one), which V8 would refuse it
 * to: each Node and set of flags has a file of its own, so sandboxes of two heap caps (checks and calibration, say)
 * do not keep replacing each other's, and a new build of the bundle rewrites the file of its flags (and a cache
 * written for it removes those of older builds).
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";

const BUNDLE = path.join(__dirname, "check-worker.bundle.js");
const CACHE = path.join(__dirname, `check-worker.bundle.${fnv1a(`${process.version} ${process.execArgv.join(" ")}`)}.cache`);

interface ModuleInternals {
  wrap(source: string): string;
  _nodeModulePaths(dir: string): string[];
}

/** A short name for a Node and its flags (FNV-1a, 32 bits): loading node:crypto would cost every sandbox's start. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function stampOf(file: string): string {
  const stat = statSync(file);
  return `${process.version} ${stat.size}:${stat.mtimeMs} ${process.execArgv.join(" ")}`;
}

/** The cache's data when it was made for this very bundle, Node and flags. */
function readCache(stamp: string): Buffer | undefined {
  try {
    const bytes = readFileSync(CACHE);
    const headerEnd = bytes.indexOf(0x0a);
    if (headerEnd < 0 || bytes.subarray(0, headerEnd).toString() !== stamp) return undefined;
    return bytes.subarray(headerEnd + 1);
  } catch {
    return undefined;
  }
}

/** Written beside and renamed: a sandbox starting meanwhile reads the old cache or the new one, never half of one. */
function writeCache(stamp: string, data: Buffer): void {
  const partial = `${CACHE}.${process.pid}.partial`;
  try {
    writeFileSync(partial, Buffer.concat([Buffer.from(`${stamp}\n`), data]));
    renameSync(partial, CACHE);
    removeCachesOfOlderBuilds();
  } catch {
    // A folder the sandbox may not write to: every sandbox compiles the bundle, as without a cache.
    try {
      unlinkSync(partial);
    } catch {
      // Nothing was written.
    }
  }
}

/**
 * The caches of bundles built before this one: every build leaves one file per set of flags, and none of them can be
 * used again. The bundle is stat'ed again here, so a sandbox started before a rebuild removes only what is older than
 * the bundle now on disk (its own file included). Caches of other Nodes stay: two Nodes may take turns.
 */
function removeCachesOfOlderBuilds(): void {
  const current = stampOf(BUNDLE).split(" ");
  for (const name of readdirSync(__dirname)) {
    if (!/^check-worker\.bundle\.[0-9a-f]{8}\.cache$/.test(name)) continue;
    const file = path.join(__dirname, name);
    const [node, bundle] = headerOf(file).split(" ");
    if (node === current[0] && bundle !== current[1]) {
      try {
        unlinkSync(file);
      } catch {
        // Removed meanwhile by another sandbox.
      }
    }
  }
}

/** The first line of a cache file (its stamp), read without reading the cache itself. */
function headerOf(file: string): string {
  try {
    const fd = openSync(file, "r");
    try {
      const head = Buffer.alloc(512);
      const read = readSync(fd, head, 0, head.length, 0);
      const end = head.subarray(0, read).indexOf(0x0a);
      return head.subarray(0, end < 0 ? read : end).toString();
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

const stamp = stampOf(BUNDLE);
const cachedData = readCache(stamp);
// The bundle is ASCII (its build checks): read as latin1 it needs no UTF-8 decoding, a measurable part of a start.
const script = new vm.Script((Module as unknown as ModuleInternals).wrap(readFileSync(BUNDLE, "latin1")), { filename: BUNDLE, cachedData });
const bundleModule = new Module(BUNDLE, module);
bundleModule.filename = BUNDLE;
bundleModule.paths = (Module as unknown as ModuleInternals)._nodeModulePaths(__dirname);
const run = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: Module, filename: string, dirname: string) => void;
const needsCache = cachedData === undefined || script.cachedDataRejected === true;
run.call(bundleModule.exports, bundleModule.exports, createRequire(BUNDLE), bundleModule, BUNDLE, __dirname);
if (needsCache) {
  const write = () => writeCache(stamp, script.createCachedData());
  const worker = bundleModule.exports as { writeCodeCacheWhenWarm?: (write: () => void) => void };
  if (typeof worker.writeCodeCacheWhenWarm === "function") worker.writeCodeCacheWhenWarm(write);
  else write();
}
