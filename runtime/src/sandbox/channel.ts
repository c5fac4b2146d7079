import { writeSync } from "node:fs";
import { workerThreads } from "../lazy-builtins.js";

/**
 * The sandboxed side of a supervisor's process: the data it was started with, the messages it is sent, and a way to
 * answer. Supervisor-level reports (an exit, a crash) travel under SANDBOX_KEY so the supervisor can act on them
 * whatever the job's own protocol is.
 */
export const SANDBOX_KEY = "__qkitSandbox";

/**
 * The file descriptor of the report pipe, the sandbox's only way to answer: JSON lines written synchronously. Node
 * sends IPC messages only when the event loop turns, so a message posted just before an endless loop, or an exit,
 * would never leave; a report written here is in the pipe before the next statement runs. The supervisor skips a
 * line that is not JSON, so user code writing to it can forge its own results at worst, never harm the supervisor.
 */
export const REPORT_FD = 4;

export type SandboxReport =
  | { [SANDBOX_KEY]: "exit"; code: number; site: import("../source-location.js").SourceLocation | undefined }
  | { [SANDBOX_KEY]: "crash"; name: string; message: string; stack: string | undefined };

export interface SandboxChannel<In, Out> {
  /** What the supervisor started the process with. */
  readonly data: Promise<unknown>;
  /** Post a message (JSON data only); it is in the pipe before the next statement runs. */
  post(message: Out): void;
  /** The same, for messages that must arrive although the process blocks or exits right after. */
  postNow(message: Out | SandboxReport): void;
  /** End the process now, bypassing a trapped process.exit. */
  exit(code: number): never;
  /** Messages after the data, in order; those that came before a handler are delivered to it. */
  onMessage(handler: (message: In) => void): void;
}

let channel: SandboxChannel<unknown, unknown> | undefined;

const ORPHAN_WATCH = `
const { workerData } = require("node:worker_threads");
setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, "SIGKILL"); }, 250);
`;

/**
 * A thread whose process object user code never sees: it kills the process once its parent is gone. Only where the
 * supervisor has no reaper of its own (orphan-reaper.ts): starting the thread costs a sandbox some 70 ms of CPU.
 */
function watchForOrphaning(): void {
  new (workerThreads().Worker)(ORPHAN_WATCH, { eval: true, workerData: process.ppid, resourceLimits: { maxOldGenerationSizeMb: 8 } }).unref();
}

/** The channel to the supervisor; only in a process a supervisor started. */
export function sandboxChannel<In, Out>(): SandboxChannel<In, Out> {
  if (channel) return channel as SandboxChannel<In, Out>;
  if (!process.send) throw new Error("internal: sandboxChannel() outside a sandboxed process");
  // Taken before the hardening replaces what a user module could reach.
  const internals = process as unknown as { reallyExit(code: number): never };
  const reallyExit = internals.reallyExit.bind(process) as (code: number) => never;
  const pending: unknown[] = [];
  let handler: ((message: unknown) => void) | undefined;
  let resolveData!: (data: unknown) => void;
  const data = new Promise<unknown>((resolve) => (resolveData = resolve));
  // The IPC channel carries the data only (structured clone: a model's bytes). It is closed before any user code
  // runs: what user code wrote into it (it is a file descriptor of this process) would reach the supervisor's
  // deserializer and could bring the supervisor down. Later messages come as JSON lines on stdin, which a bad line
  // cannot break.
  process.once("message", (message: unknown) => {
    process.disconnect();
    const { data: sent, reaped } = message as { data: unknown; reaped?: boolean };
    if (reaped !== true) watchForOrphaning();
    resolveData(sent);
  });
  let partial = "";
  process.stdin.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      const message = JSON.parse(line) as unknown;
      if (handler) handler(message);
      else pending.push(message);
    }
  });
  // The supervisor is gone (it stopped or crashed): nothing will read what this process computes. A process in an
  // endless loop never hears of it: the supervisor's reaper, or else a thread of its own (started with the data),
  // watches for the orphaning and ends it.
  process.stdin.on("end", () => reallyExit(0));
  const postNow = (message: unknown) => {
    const line = Buffer.from(`${JSON.stringify(message)}\n`);
    for (let offset = 0; offset < line.length; ) offset += writeSync(REPORT_FD, line, offset);
  };
  // An uncaught error ends the process; the supervisor gets it as data first (its stack locates the user's line).
  const crash = (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    postNow({ [SANDBOX_KEY]: "crash", name: e.name, message: e.message, stack: e.stack });
    reallyExit(70);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  channel = {
    data,
    post: postNow,
    postNow,
    exit: (code) => reallyExit(code),
    onMessage(next) {
      handler = next;
      for (const message of pending.splice(0)) next(message);
    },
  };
  return channel as SandboxChannel<In, Out>;
}
