import * as path from "node:path";
import { readFileSync } from "node:fs";
import Module from "node:module";
import * as vm from "node:vm";

type ModuleInternals = typeof Module & { _nodeModulePaths(dir: string): string[]; wrap(source: string): string };

/** The TypeScript the runtime's checker requires (it reads derive functions with it). */
export const TYPESCRIPT_PATH = Module.createRequire(require.resolve("qkit")).resolve("typescript");

/**
 * Load TypeScript into this worker's module cache, from V8's code cache when the server has one: compiling the
 * 9 MB library takes ~150 ms in every fresh worker, deserializing it a fraction of that. Returns fresh cache data
 * when none was given or V8 rejected it (a different Node), for the server to hand to the next workers.
 */
export function loadTypeScript(cachedData: Uint8Array | undefined): { produce: () => Uint8Array } | undefined {
  if (require.cache[TYPESCRIPT_PATH]) return undefined;
  const source = readFileSync(TYPESCRIPT_PATH, "utf8");
  const script = new vm.Script((Module as ModuleInternals).wrap(source), {
    filename: TYPESCRIPT_PATH,
    ...(cachedData ? { cachedData: Buffer.from(cachedData.buffer, cachedData.byteOffset, cachedData.byteLength) } : {}),
  });
  const mod = new Module(TYPESCRIPT_PATH, module);
  mod.filename = TYPESCRIPT_PATH;
  mod.paths = (Module as ModuleInternals)._nodeModulePaths(path.dirname(TYPESCRIPT_PATH));
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(TYPESCRIPT_PATH), mod, TYPESCRIPT_PATH, path.dirname(TYPESCRIPT_PATH));
  mod.loaded = true;
  require.cache[TYPESCRIPT_PATH] = mod;
  // Produced after a check has run, the cache also holds the functions the checker compiled lazily.
  return cachedData && !script.cachedDataRejected ? undefined : { produce: () => new Uint8Array(script.createCachedData()) };
}
