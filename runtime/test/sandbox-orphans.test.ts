import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./helpers/data.js";

/**
 * A sandbox never outlives its supervisor: when the supervisor is killed outright (no exit handler runs), a sandbox
 * stuck in an endless loop (it never reads the end of its stdin) is killed too, with whatever it started.
 */
const SANDBOX_DIR = path.join(REPO_ROOT, "runtime", "dist", "src", "sandbox");
const dir = mkdtempSync(path.join(tmpdir(), "qkit-sandbox-orphans-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// The sandbox: says which processes it and a child of its own are, then loops forever.
const SANDBOX = `const { sandboxChannel } = require(${JSON.stringify(path.join(SANDBOX_DIR, "channel.js"))});
const channel = sandboxChannel();
void channel.data.then(() => {
  const child = require("node:child_process").spawn("sleep", ["600"], { stdio: "ignore" });
  channel.post({ sandbox: process.pid, child: child.pid });
  for (;;) {}
});
`;
// The supervisor: starts the sandbox, passes its message on, and waits to be killed.
const SUPERVISOR = (sandboxFile: string) => `const { startSandbox } = require(${JSON.stringify(path.join(SANDBOX_DIR, "supervisor.js"))});
const sandbox = startSandbox(${JSON.stringify(sandboxFile)}, {}, 64);
sandbox.on("message", (m) => console.log(JSON.stringify(m)));
setInterval(() => undefined, 1000);
`;

function alive(pid: number): boolean {
  // A zombie is dead: it waits only for its parent to read its status.
  return existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

async function gone(pid: number): Promise<boolean> {
  // Generous: a busy machine may take seconds to schedule the reaper.
  const giveUp = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > giveUp) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

test("a looping sandbox and what it started die with a supervisor that was killed outright", { skip: process.platform !== "linux" && "reads /proc" }, async () => {
  const sandboxFile = path.join(dir, "looping-sandbox.js");
  const supervisorFile = path.join(dir, "supervisor.js");
  writeFileSync(sandboxFile, SANDBOX);
  writeFileSync(supervisorFile, SUPERVISOR(sandboxFile));
  const supervisor = spawn(process.execPath, [supervisorFile], { stdio: ["ignore", "pipe", "inherit"] });
  const pids = await new Promise<{ sandbox: number; child: number }>((resolve, reject) => {
    let text = "";
    supervisor.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split("\n").find((l) => l.includes('"sandbox"'));
      if (line) resolve(JSON.parse(line) as { sandbox: number; child: number });
    });
    supervisor.once("exit", (code) => reject(new Error(`the supervisor exited (${code}) before its sandbox started`)));
  });
  try {
    assert.ok(alive(pids.sandbox) && alive(pids.child), "the sandbox and its child run while the supervisor does");
    supervisor.kill("SIGKILL");
    assert.ok(await gone(pids.sandbox), "the looping sandbox is killed once its supervisor is gone");
    assert.ok(await gone(pids.child), "and so is the process it started");
  } finally {
    supervisor.kill("SIGKILL");
    for (const pid of [pids.sandbox, pids.child]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
});
