#!/usr/bin/env node
// What @vscode/test-electron's runTests starts as "VS Code": code-server plus headless Chromium. It takes the
// arguments runTests passes (--extensionDevelopmentPath=, --extensionTestsPath=, a folder; the rest is ignored),
// hands the extension paths to the workbench as a URL payload (code-server's CLI rejects them) and exits with the
// extension host's test result, which the workbench reports through codeAutomationExit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { format } from "node:util";
import { launchBrowser, startCodeServer } from "./code-server.mjs";

const options = {};
let folder;
for (const arg of process.argv.slice(2)) {
  const match = /^--([^=]+)=(.*)$/.exec(arg);
  if (match) options[match[1]] = match[2];
  else if (!arg.startsWith("--")) folder = arg;
}
const WORKBENCH_CHATTER = /^(Resolving connection|Resolved connection|Creating a socket|\[reconnection|Updating additional|\[Service Worker|\[AgentHost|\[AccountPolicyGate|Failed: getaddrinfo)/;
const restricted = process.env.QKIT_E2E_RESTRICTED === "1";
const verbose = !!process.env.QKIT_E2E_VERBOSE;
const run = mkdtempSync(path.join(tmpdir(), "qkcs-"));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const server = await startCodeServer({ run, folder, restricted, testDriver: true, log: (m) => verbose && process.stderr.write(m) });
const browser = await launchBrowser(path.join(run, "profile"));
let exitCode = 1;
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  const done = new Promise((resolve) => page.exposeFunction("codeAutomationExit", (code) => resolve(code)));
  page.on("console", async (message) => {
    const text = message.text();
    // The extension host's console (the tests' output) arrives as ("%c INFO", "color: ...", format, ...args).
    if (!text.startsWith("%c")) {
      if (verbose) process.stderr.write(`[browser] ${text}\n`);
      return;
    }
    const values = await Promise.all(message.args().map((a) => a.jsonValue().catch(() => "?")));
    const line = format(...values.slice(2));
    // The tests log at INFO; the workbench's own chatter (connections, the unreachable marketplace) is noise here.
    if (verbose || (/\bINFO\b/.test(String(values[0])) && !WORKBENCH_CHATTER.test(line))) process.stdout.write(`${line}\n`);
  });
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${path.resolve(p)}`;
  const payload = [["extensionDevelopmentPath", remote(options.extensionDevelopmentPath)], ["extensionTestsPath", remote(options.extensionTestsPath)]];
  await page.goto(`${server.url}/?folder=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  process.stdout.write(`workbench loading (${elapsed()} after start)\n`);
  const timeout = Number(process.env.QKIT_E2E_TIMEOUT_MS ?? 600_000);
  exitCode = await Promise.race([done, new Promise((resolve) => setTimeout(() => resolve("timeout"), timeout))]);
  if (exitCode === "timeout") {
    await page.screenshot({ path: path.join(process.env.QKIT_E2E_ARTIFACTS ?? run, `timeout-${restricted ? "restricted" : "trusted"}.png`) }).catch(() => {});
    process.stdout.write(`the extension host did not finish within ${timeout / 1000} s\n`);
    exitCode = 1;
  }
  process.stdout.write(`extension host exited with ${exitCode} (${elapsed()})\n`);
} finally {
  await browser.close().catch(() => {});
  await server.stop();
  rmSync(run, { recursive: true, force: true });
}
process.exit(Number(exitCode) || 0);
