// Bundles the check sandbox (server/dist/src/check/check-worker.js and the runtime it loads) into one file beside it,
// check-worker.bundle.js: a spare sandbox then loads one module instead of some 300, which is most of the CPU a fresh
// sandbox spends before its check (each edit starts one). TypeScript and ts-morph stay outside (loaded only on use).
// Run after `tsc -b` (`npm run build` does); the server uses the bundle only while it is newer than both builds.
import { build } from "esbuild";
import { readFileSync, renameSync, unlinkSync } from "node:fs";
import * as path from "node:path";

const server = path.resolve(import.meta.dirname, "..");
const entry = path.join(server, "dist", "src", "check", "check-worker.js");
const outfile = path.join(server, "dist", "src", "check", "check-worker.bundle.js");
// Written beside and renamed: a server starting meanwhile never loads half a bundle.
const partial = `${outfile}.partial`;
await build({
  entryPoints: [entry],
  outfile: partial,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: false,
  logLevel: "warning",
  legalComments: "none",
  // Every sandbox reads and scans the whole file: without indentation and comments it is a third smaller, and
  // ASCII only (non-ASCII escaped), so the loader reads it as one-byte text without decoding UTF-8.
  minifyWhitespace: true,
  charset: "ascii",
  external: ["typescript", "ts-morph", "@ts-morph/*"],
});
const bytes = readFileSync(partial);
const nonAscii = bytes.findIndex((b) => b > 0x7f);
if (nonAscii >= 0) {
  unlinkSync(partial);
  throw new Error(`${outfile}: byte ${nonAscii} is not ASCII; the sandbox loader reads the bundle as latin1 (see bundle-with-code-cache.ts)`);
}
renameSync(partial, outfile);
