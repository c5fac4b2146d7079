import type { ChildProcess } from "node:child_process";
import { childProcess } from "../lazy-builtins.js";
import { existsSync } from "node:fs";

/**
 * Kills the sandboxes' process groups once their supervisor is gone, however it went (SIGKILL included, when no exit
 * handler runs): a sandbox in an endless loop never reads its stdin's end, so something outside it must act.
 *
 * One small shell per supervising process does it for all its sandboxes: it reads the live groups, a line each time
 * they change, from a pipe only the supervisor holds, and when that pipe closes it kills the last list it read. A
 * watcher inside each sandbox (a thread polling its parent) did the same at some 70 ms of CPU per sandbox, and a
 * sandbox starts whenever a check is stopped or leaves a trace. Where there is no POSIX shell (Windows), the sandboxes watch for themselves.
 */
const SCRIPT = `trap '' INT HUP QUIT
groups=
while IFS= read -r line; do groups=$line; done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
`;
const SHELL = "/bin/sh";

let reaper: ChildProcess | undefined;
let unavailable = process.platform === "win32" || !existsSync(SHELL);

function start(): ChildProcess | undefined {
  if (reaper || unavailable) return reaper;
  try {
    // Its own process group: a Ctrl-C meant for the supervisor's terminal must not stop it before the supervisor.
    const child = childProcess().spawn(SHELL, ["-c", SCRIPT], { stdio: ["pipe", "ignore", "ignore"], detached: true });
    child.on("error", () => {
      unavailable = true;
      reaper = undefined;
    });
    child.stdin!.on("error", () => undefined);
    // Killed by someone: the next sandbox starts another, which is sent every live group.
    child.on("exit", () => {
      if (reaper === child) reaper = undefined;
    });
    // Neither it nor its pipe keeps the supervisor alive.
    child.unref();
    (child.stdin as unknown as { unref?(): void }).unref?.();
    reaper = child;
  } catch {
    unavailable = true;
  }
  return reaper;
}

/**
 * Whether a reaper watches the sandboxes (started on first use). When it does not, each sandbox watches its parent
 * itself (channel.ts).
 */
export function reaperWatches(): boolean {
  return start() !== undefined && !unavailable;
}

/** The process groups to kill when the supervisor is gone: all of them, each time the set changes. */
export function reapOnSupervisorDeath(groups: Iterable<number>): void {
  const child = start();
  if (!child || unavailable || !child.stdin!.writable) return;
  child.stdin!.write(`${[...groups].join(" ")}\n`);
}
