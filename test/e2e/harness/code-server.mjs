// Starts code-server (the real VS Code workbench and extension host) and headless Chromium on it.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CODE_SERVER, NODE24 } from "./toolchain.mjs";

/** User settings for a test profile: no prompts, no network, no competition for the two cores. */
const SETTINGS = {
  "security.workspace.trust.startupPrompt": "never",
  "security.workspace.trust.untrustedFiles": "open",
  "workbench.startupEditor": "none",
  // The web workbench saves edits after a second by default (desktop VS Code does not): a test that edits a file
  // and waits for a finding must see the unsaved buffer, as a desktop user would, not a file written behind it.
  "files.autoSave": "off",
  "workbench.tips.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "typescript.validate.enable": false,
  "typescript.tsserver.experimental.enableProjectDiagnostics": false,
  "git.enabled": false,
  "editor.hover.delay": 150,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
};

function isolatedEnv(run) {
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(run, "xdg-config"), XDG_DATA_HOME: path.join(run, "xdg-data"), TMPDIR: path.join(run, "tmp") };
  delete env.NODE_OPTIONS;
  return env;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function healthy(url, deadline) {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url}/healthz`);
}

/**
 * A code-server in `run` (a short per-run folder: its unix sockets live there). `restricted` leaves workspace
 * trust on, so the folder opens in restricted mode; `testDriver` accepts extension-test payloads in the URL.
 */
export async function startCodeServer({ run, folder, restricted = false, testDriver = false, extensionsDir, log = () => {} }) {
  const port = await freePort();
  for (const dir of ["ud/User", "tmp", "xdg-config", "xdg-data"]) mkdirSync(path.join(run, dir), { recursive: true });
  writeFileSync(path.join(run, "ud", "User", "settings.json"), JSON.stringify(SETTINGS, null, 2));
  writeFileSync(path.join(run, "config.yaml"), "auth: none\n");
  const args = [
    CODE_SERVER, "--config", path.join(run, "config.yaml"), "--user-data-dir", path.join(run, "ud"),
    "--extensions-dir", extensionsDir ?? path.join(run, "exts"), "--auth", "none", "--bind-addr", `127.0.0.1:${port}`,
    "--disable-telemetry", "--disable-update-check", "--disable-getting-started-override",
    ...(restricted ? [] : ["--disable-workspace-trust"]),
    ...(testDriver ? ["--vscode-option", "enable-smoke-test-driver"] : []),
    folder,
  ];
  const child = spawn(NODE24, args, { env: isolatedEnv(run), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => log(`[code-server] ${d}`));
  child.stderr.on("data", (d) => log(`[code-server] ${d}`));
  const url = `http://127.0.0.1:${port}`;
  await healthy(url, Date.now() + 60_000);
  return { url, port, child, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once("exit", resolve), child.kill()))) };
}

export async function installExtension({ run, vsix, extensionsDir, log = () => {} }) {
  for (const dir of ["ud", "tmp", "xdg-config", "xdg-data"]) mkdirSync(path.join(run, dir), { recursive: true });
  writeFileSync(path.join(run, "config.yaml"), "auth: none\n");
  const args = [CODE_SERVER, "--config", path.join(run, "config.yaml"), "--user-data-dir", path.join(run, "ud"), "--extensions-dir", extensionsDir, "--install-extension", vsix];
  const child = spawn(NODE24, args, { env: isolatedEnv(run), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  log(output);
  if (code !== 0) throw new Error(`installing ${vsix} failed (${code}): ${output}`);
}

export async function launchBrowser(profile) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}
