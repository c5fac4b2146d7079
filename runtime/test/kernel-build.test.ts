import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const KERNELS = path.resolve(__dirname, "..", "..", "kernels");
const DIST = path.resolve(__dirname, "..", "..", "dist", "kernels");

interface Stamp {
  sourcesUnder(dir: string, skip?: string[]): string[];
  stampOf(sources: string[], args: string[]): string;
  upToDate(wasm: string, stamp: string): boolean;
  recordBuild(wasm: string, stamp: string): void;
}
const load = (): Promise<Stamp> => import(pathToFileURL(path.join(KERNELS, "stamp.mjs")).href) as Promise<Stamp>;

test("a kernel stamp follows the sources' contents and the command line, not their times", async () => {
  const { sourcesUnder, stampOf, upToDate, recordBuild } = await load();
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-stamp-"));
  try {
    writeFileSync(path.join(dir, "a.ts"), "export function f(): i32 { return 1; }\n");
    writeFileSync(path.join(dir, "b.ts"), "export function g(): i32 { return 2; }\n");
    const sources = sourcesUnder(dir);
    const first = stampOf(sources, ["-O3"]);
    utimesSync(path.join(dir, "a.ts"), new Date(), new Date(Date.now() + 60_000));
    assert.equal(stampOf(sources, ["-O3"]), first, "touching a file changes nothing");
    assert.notEqual(stampOf(sources, ["-O2"]), first, "other flags rebuild");
    writeFileSync(path.join(dir, "b.ts"), "export function g(): i32 { return 3; }\n");
    const edited = stampOf(sources, ["-O3"]);
    assert.notEqual(edited, first, "an edit rebuilds");

    const wasm = path.join(dir, "m.wasm");
    assert.equal(upToDate(wasm, edited), false, "no module yet");
    writeFileSync(wasm, "\0asm");
    assert.equal(upToDate(wasm, edited), false, "a module without a stamp is rebuilt");
    recordBuild(wasm, edited);
    assert.equal(upToDate(wasm, edited), true);
    assert.equal(upToDate(wasm, first), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("building the kernels again with nothing changed compiles nothing", () => {
  const modules = ["simd.wasm", "relaxed.wasm", "observers.wasm"].map((m) => path.join(DIST, m));
  const before = modules.map((m) => [statSync(m).mtimeMs, readFileSync(`${m}.stamp`, "utf8")]);
  for (const script of ["build.mjs", "build-observers.mjs"]) {
    const r = spawnSync(process.execPath, [path.join(KERNELS, script)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  }
  assert.deepEqual(modules.map((m) => [statSync(m).mtimeMs, readFileSync(`${m}.stamp`, "utf8")]), before);
});
