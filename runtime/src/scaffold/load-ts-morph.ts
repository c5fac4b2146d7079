import Module = require("node:module");
import * as path from "node:path";

type TsMorph = typeof import("ts-morph");
let tsMorph: TsMorph | undefined;

/**
 * ts-morph, loaded on first use, on the TypeScript this process already runs. @ts-morph/common ships a TypeScript copy
 * of its own (dist/typescript.js, the same minor version); loading both would hold two compilers in memory (~60 MB).
 * In a checkout that file's module-cache entry is made to be `typescript` before ts-morph loads; the extension's
 * bundle points the same import at the shipped `typescript` at build time, so there the file is never found.
 */
export function loadTsMorph(): TsMorph {
  if (tsMorph) return tsMorph;
  const bundledTypeScript = ownTypeScriptOfTsMorph();
  if (bundledTypeScript && !require.cache[bundledTypeScript]) {
    const shared = new Module(bundledTypeScript);
    shared.filename = bundledTypeScript;
    shared.exports = require("typescript");
    shared.loaded = true;
    require.cache[bundledTypeScript] = shared;
  }
  tsMorph = require("ts-morph") as TsMorph;
  return tsMorph;
}

function ownTypeScriptOfTsMorph(): string | undefined {
  try {
    const tsMorphDir = path.dirname(require.resolve("ts-morph/package.json"));
    const common = path.dirname(require.resolve("@ts-morph/common/package.json", { paths: [tsMorphDir] }));
    return path.join(common, "dist", "typescript.js");
  } catch {
    return undefined;
  }
}
