// What `npm test` needs beyond npm, installed the first time it runs: the Debian packages in .ci/apt-packages.txt (the
// ONNX backend test data, the Fashion-MNIST data set) and the real-VS Code toolchain in .tools/ (Node 24 and
// code-server from npm, Chromium from Debian: scripts/setup-vscode-test.sh). Each step runs only when something is
// missing, so a second run does nothing. Where it cannot install (not root, no apt-get, QKIT_NO_INSTALL=1) it says in
// one line what is missing and how to get it; the tests that need it then skip and say why.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { missingToolchain, ROOT } from "../test/e2e/harness/toolchain.mjs";

const say = (line) => console.log(`npm test: ${line}`);

function installed(pkg) {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return r.status === 0 && r.stdout.includes("install ok installed");
}

function canInstall() {
  if (process.env.QKIT_NO_INSTALL === "1") return false;
  return process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
}

function aptPackages() {
  return readFileSync(path.join(ROOT, ".ci", "apt-packages.txt"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

/** Installs what is missing when it can; returns nothing, having said what it did or what is still missing. */
export function ensureTestTools() {
  const hasDpkg = spawnSync("dpkg-query", ["--version"], { stdio: "ignore" }).status === 0;
  const missingPackages = hasDpkg ? aptPackages().filter((p) => !installed(p)) : [];
  const install = canInstall();
  if (missingPackages.length > 0) {
    if (install) {
      say(`installing the Debian packages the tests read (${missingPackages.join(", ")}); once`);
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      const ok = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env }).status === 0 &&
        spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missingPackages], { stdio: ["ignore", "ignore", "inherit"], env }).status === 0;
      if (!ok) say(`could not install ${missingPackages.join(", ")}; the tests that read them will skip (install them with apt-get as root)`);
    } else {
      say(`${missingPackages.join(", ")} not installed; the tests that read them will skip (as root: apt-get install ${missingPackages.join(" ")})`);
    }
  }
  const missing = missingToolchain();
  if (!missing) return;
  // Without root, the npm parts still install when Debian's Chromium is already there.
  const canSetUp = install || (!/Chromium/.test(missing) && process.env.QKIT_NO_INSTALL !== "1");
  if (!canSetUp) {
    say(`the VS Code tests will skip: ${missing}${process.getuid?.() === 0 ? "" : " (as root: it installs Chromium with apt-get)"}`);
    return;
  }
  say("installing the real-VS Code toolchain into .tools/ (Node 24, code-server, Chromium; about 800 MB and a few minutes, once)");
  // As if run from a shell: the npm_* variables of the `npm test` running this would steer the nested npm installs
  // (code-server's native modules must build with Node 24's own npm and headers).
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  env.PATH = (process.env.PATH ?? "").split(path.delimiter).filter((d) => !/node-gyp-bin|node_modules[\\/]\.bin/.test(d)).join(path.delimiter);
  const r = spawnSync("bash", [path.join(ROOT, "scripts", "setup-vscode-test.sh")], { cwd: ROOT, stdio: "inherit", env });
  if (r.status !== 0) say(`installing the VS Code toolchain failed (exit ${r.status}); the VS Code tests will skip: ${missingToolchain() ?? "see above"}`);
}
