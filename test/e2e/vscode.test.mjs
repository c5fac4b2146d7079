// `npm run test:vscode`: the extension as users get it. The VSIX builds and holds no node_modules; the extension-host
// suites (mocha inside code-server's real extension host, through @vscode/test-electron and a shim) run on a trusted
// and on a restricted workspace; the UI smoke test drives the installed VSIX in the workbench with headless Chromium.
// Needs the toolchain from scripts/setup-vscode-test.sh; without it the VS Code tests are skipped and say why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { runTests } from "@vscode/test-electron";
import { missingToolchain, ROOT } from "./harness/toolchain.mjs";
import { makeFixture, removeFixture } from "./harness/fixture.mjs";
import { packageVsix, zipEntries } from "./harness/vsix.mjs";
import { uiRestricted, uiSmoke } from "./harness/ui-smoke.mjs";

const ARTIFACTS = path.join(ROOT, "test", "e2e", "artifacts");
const VSIX = path.join(ARTIFACTS, "qkit.vsix");
const missing = missingToolchain();
const SCREENSHOTS = path.join(ARTIFACTS, "screenshots");
const log = (m) => process.stdout.write(m);
rmSync(SCREENSHOTS, { recursive: true, force: true });
mkdirSync(ARTIFACTS, { recursive: true });

function sh(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit" });
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed`);
}

test("the extension bundles and the VSIX holds no node_modules", () => {
  // vsce runs vscode:prepublish (the build and the bundle) itself.
  packageVsix(VSIX);
  const entries = zipEntries(VSIX);
  assert.deepEqual(entries.filter((e) => e.includes("node_modules/")), []);
  for (const needed of ["extension/package.json", "extension/client/dist/extension.js", "extension/client/dist/server/main.js", "extension/client/dist/server/calibration-worker.js",
    "extension/client/dist/lib/qkit/dist/src/index.js", "extension/client/dist/lib/qkit/dist/src/kernels/simd.wasm", "extension/client/dist/lib/qkit/dist/src/kernels/observers.wasm",
    "extension/client/dist/lib/typescript/lib/typescript.js", "extension/syntaxes/qkit-graph.tmLanguage.json", "extension/schemas/qkit.schema.json"]) {
    assert.ok(entries.includes(needed), `${needed} is in the VSIX`);
  }
});

/** Opens `folder` (a fixture made per run unless given) in a real VS Code and runs the suite its kind selects. */
const runSuite = (restricted, shipped) => async (t) => {
  if (missing) return t.skip(missing);
  // The suites load the extension from the checkout (client/dist), which the VSIX test normally has just bundled.
  if (!existsSync(path.join(ROOT, "client", "dist", "extension.js"))) sh(process.execPath, [path.join(ROOT, "client", "build.mjs")]);
  sh(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "test", "e2e")]);
  const folder = shipped ?? makeFixture(restricted ? "restricted" : "trusted");
  // The shipped folder is the user's: remove only what the run wrote there.
  const out = shipped && path.join(shipped, "out");
  const hadOut = out && existsSync(out);
  const texts = shipped ? readdirSync(shipped).filter((f) => /\.(ts|json|md)$/.test(f)).map((f) => [path.join(shipped, f), readFileSync(path.join(shipped, f), "utf8")]) : [];
  try {
    await runTests({
      vscodeExecutablePath: path.join(ROOT, "test", "e2e", "harness", "code-shim.mjs"),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, "test", "e2e", "dist", "suite", "index.cjs"),
      launchArgs: [folder],
      extensionTestsEnv: { QKIT_E2E_RESTRICTED: restricted ? "1" : "0", QKIT_E2E_ARTIFACTS: ARTIFACTS },
    });
  } finally {
    if (!shipped) removeFixture(folder);
    else if (!hadOut) rmSync(out, { recursive: true, force: true });
    // The shipped folder must come out of the run as it went in, whatever the suite did.
    const changed = texts.filter(([file, text]) => readFileSync(file, "utf8") !== text);
    for (const [file, text] of changed) writeFileSync(file, text);
    assert.deepEqual(changed.map(([file]) => path.relative(ROOT, file)), [], "the run changed shipped files (now restored)");
  }
};

test("extension-host suite, trusted workspace (real VS Code: code-server + Chromium)", runSuite(false));
test("extension-host suite, restricted mode", runSuite(true));
test("extension-host suite, the shipped examples/fashion-mnist folder as shipped", runSuite(false, path.join(ROOT, "examples", "fashion-mnist")));

test("UI smoke: squiggle, Problems, calibration from the palette with progress, histogram hover, graph view", async (t) => {
  if (missing) return t.skip(missing);
  await uiSmoke({ vsix: VSIX, artifacts: SCREENSHOTS, log });
});

test("UI smoke: restricted mode says why nothing runs; trusting updates the status bar", async (t) => {
  if (missing) return t.skip(missing);
  await uiRestricted({ vsix: VSIX, artifacts: SCREENSHOTS, log });
});
