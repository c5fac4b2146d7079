// Incremental kernel builds: a module is rebuilt only when what it is built from changed. The stamp beside each
// .wasm is a hash of its sources' contents, the compiler's version and the command line; contents, not mtimes, so
// a fresh clone, a checkout or a touch does not force a rebuild and an edit always does.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";

/** Every .ts file under `dir` (recursively, skipping `skip` folders), sorted for a stable hash. */
export function sourcesUnder(dir, skip = []) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.includes(entry.name)) files.push(...sourcesUnder(full, skip));
    } else if (entry.name.endsWith(".ts")) {
      files.push(full);
    }
  }
  return files.sort();
}

function compilerVersion() {
  const require = createRequire(import.meta.url);
  return require(require.resolve("assemblyscript/package.json")).version;
}

/** The stamp of one build: its sources, in order, and the command line that compiles them. */
export function stampOf(sources, args) {
  const hash = createHash("sha256");
  hash.update(`asc ${compilerVersion()}\0${args.join("\0")}\0`);
  for (const file of sources) hash.update(`${path.basename(file)}\0`).update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

const stampFile = (wasm) => `${wasm}.stamp`;

/** Whether `wasm` exists and was built from exactly this stamp. */
export function upToDate(wasm, stamp) {
  return existsSync(wasm) && existsSync(stampFile(wasm)) && readFileSync(stampFile(wasm), "utf8") === stamp;
}

/** Records a successful build (written to a temporary name first, so a killed build leaves no stamp that lies). */
export function recordBuild(wasm, stamp) {
  const tmp = `${stampFile(wasm)}.${process.pid}.tmp`;
  writeFileSync(tmp, stamp);
  renameSync(tmp, stampFile(wasm));
}
