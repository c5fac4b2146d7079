import type { ChildProcess } from "node:child_process";
import { childProcess } from "../lazy-builtins.js";
import { readFileSync } from "node:fs";
import type { SourceLocation } from "../source-location.js";
import { REPORT_FD, SANDBOX_KEY, type SandboxReport } from "./channel.js";
import { reapOnSupervisorDeath, reaperWatches } from "./orphan-reaper.js";

/** What a sandbox running user code may use. */
export interface SandboxLimits {
  /** The sandbox's V8 heap, and the cap on its resident memory's growth while a job runs (MB). */
  memoryLimitMb: number;
  /** How long the job may run (ms); none when the job takes as long as its data (a calibration). */
  timeoutMs?: number;
}

/** How a supervised job ended. */
export type Supervised<T> =
  | { kind: "finished"; value: T; durationMs: number }
  | { kind: "timeout"; durationMs: number }
  | { kind: "out-of-memory"; durationMs: number }
  /** The user's code called process.exit (at `site` when the sandbox could tell), or the process ended by itself. */
  | { kind: "exited"; code: number; site: SourceLocation | undefined; durationMs: number }
  | { kind: "crashed"; error: Error; durationMs: number }
  | { kind: "cancelled" };

export interface SuperviseOptions<M, T> {
  limits: SandboxLimits;
  signal: AbortSignal;
  /** The job, posted to the sandbox once it is watched; none when it starts on its data. */
  job?: unknown;
  /** Each message of the sandbox; returning a value ends the job with it. */
  onMessage(message: M): T | undefined;
  /**
   * How cancelling works: by default the sandbox is stopped at once. One that can stop cleanly (between batches) is
   * sent `message` first and gets `graceMs` to answer through onMessage before it is stopped.
   */
  cancel?: { message: unknown; graceMs: number };
  /**
   * Whether the sandbox lives on after this result: the caller then owns it (and stops it). By default a sandbox is
   * stopped as soon as its job ends.
   */
  keepAfter?(value: T): boolean;
  /**
   * When the timeout starts: at the first message for which this is true (the sandbox has loaded what it needs and
   * user code runs next), so a slow start on a busy machine is not the user's time. Default: at once.
   */
  startsWhen?: (message: M) => boolean;
}

const WATCHDOG_INTERVAL_MS = 20;
// Loading the runtime and decoding a model is the caller's cost, not the user code's: it gets its own, generous time.
const STARTUP_TIMEOUT_MS = 120_000;
const MAX_REPORT_CHARS = 256 * 2 ** 20;
// How long an exited process's last words (V8's out-of-memory report on stderr, its reports) may take to arrive.
const LAST_WORDS_MS = 1000;
const live = new Set<Sandbox>();
let reaperInstalled = false;

/**
 * A child process for user code: its own V8 heap (capped), its own stdio (piped: a write to fd 1 or 2 never reaches
 * the caller's, which may be an LSP channel), its own process group (killed as a group, so whatever it spawns dies
 * with it), and its own copy of everything it is sent: the data it starts with over the IPC channel (closed before user code
 * runs), JSON lines on stdin after that, and its answers as JSON lines on the report pipe.
 */
export class Sandbox {
  readonly #child: ChildProcess;
  readonly gone: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderrTail = "";
  #lastWords: Promise<unknown>;

  constructor(file: string, data: unknown, memoryLimitMb: number, log?: (line: string) => void) {
    const ownGroup = process.platform !== "win32";
    this.#child = childProcess().fork(file, [], {
      execArgv: [`--max-old-space-size=${Math.max(16, Math.round(memoryLimitMb))}`, "--max-semi-space-size=16"],
      stdio: ["pipe", "pipe", "pipe", "ipc", "pipe"],
      serialization: "advanced",
      detached: ownGroup,
    });
    live.add(this);
    installReaper();
    const reaped = ownGroup && reaperWatches();
    if (reaped) reapOnSupervisorDeath(liveGroups());
    this.#child.on("error", () => undefined);
    this.#child.stdin!.on("error", () => undefined);
    this.#child.stdout!.on("data", (chunk: Buffer) => log?.(chunk.toString().trimEnd()));
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString()).slice(-4096);
      log?.(chunk.toString().trimEnd());
    });
    // Reports written synchronously (see REPORT_FD) arrive as messages too, a JSON line each.
    let pending = "";
    (this.#child.stdio[REPORT_FD] as NodeJS.ReadableStream).on("data", (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split("\n");
      pending = lines.pop()!;
      // A line longer than any report is user code writing without end: it must not grow the supervisor's memory.
      if (pending.length > MAX_REPORT_CHARS) pending = "";
      for (const line of lines) {
        try {
          this.#child.emit("message", JSON.parse(line) as unknown);
        } catch {
          // Not a report: user code wrote to the pipe.
        }
      }
    });
    this.#lastWords = Promise.all([this.#child.stderr!, this.#child.stdio[REPORT_FD]!].map((stream) => new Promise((resolve) => stream.once("close", resolve))));
    this.gone = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        live.delete(this);
        if (reaped) reapOnSupervisorDeath(liveGroups());
        // Its process group may hold what it spawned.
        this.#killGroup();
        resolve({ code, signal });
      });
    });
    // `reaped`: the supervisor's reaper kills the process if the supervisor dies, so it need not watch for that itself.
    this.#child.send({ data, reaped }, (error) => {
      if (error) this.terminate();
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Send a message (JSON data) after the start: the sandbox reads them from its stdin, a line each. */
  post(message: unknown): void {
    if (this.running && this.#child.stdin!.writable) this.#child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  on(event: "message", listener: (message: unknown) => void): void {
    this.#child.on(event, listener);
  }

  off(event: "message", listener: (message: unknown) => void): void {
    this.#child.off(event, listener);
  }

  /** The process's resident memory in bytes, where the platform tells (Linux); undefined elsewhere or once gone. */
  residentBytes(): number | undefined {
    if (!this.#child.pid || !this.running) return undefined;
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.#child.pid}/status`, "utf8"));
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the process ended because V8 ran out of heap: it says so on stderr before it aborts. Answers once its
   * last words (stderr, the report pipe) are read, so reports written just before the end have arrived too.
   */
  async ranOutOfHeap(): Promise<boolean> {
    await Promise.race([this.#lastWords, new Promise((resolve) => setTimeout(resolve, LAST_WORDS_MS).unref())]);
    return /heap out of memory|Allocation failed/.test(this.#stderrTail);
  }

  /** Stop it and everything it started, at once (SIGKILL: a native loop cannot ignore it). */
  terminate(): void {
    this.#killGroup();
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }

  #killGroup(): void {
    if (process.platform === "win32" || !this.#child.pid) return;
    try {
      process.kill(-this.#child.pid, "SIGKILL");
    } catch {
      // The group is empty.
    }
  }
}

function liveGroups(): number[] {
  return [...live].flatMap((sandbox) => (sandbox.pid === undefined ? [] : [sandbox.pid]));
}

/** Sandboxes die with their supervisor, even one that exits without stopping them. */
function installReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    for (const sandbox of live) sandbox.terminate();
  });
}

/** Start a sandbox for user code; see Sandbox. */
export function startSandbox(file: string, data: unknown, memoryLimitMb: number, log?: (line: string) => void): Sandbox {
  return new Sandbox(file, data, memoryLimitMb, log);
}

function isReport(message: unknown): message is SandboxReport {
  return typeof message === "object" && message !== null && SANDBOX_KEY in message;
}

/**
 * Watch one job of a sandbox until it ends: a result, the timeout, the memory caps (the heap cap is V8's; typed
 * arrays and WebAssembly memory live outside the heap, so the process's resident memory is watched too), an exit, a
 * crash, or cancellation. The sandbox is then killed, and the watchdog keeps watching until it is gone: a job that
 * grows past the memory cap while it is being stopped (a native loop such as one huge TypedArray.fill) is reported
 * as out of memory, whatever stopped it first. A result is returned at once (nothing can change it), the other
 * outcomes once the process is gone. The caller keeps only the plain data it was sent.
 */
export function supervise<M, T>(sandbox: Sandbox, options: SuperviseOptions<M, T>): Promise<Supervised<T>> {
  const { limits, signal } = options;
  return new Promise<Supervised<T>>((resolve) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const baseline = sandbox.residentBytes() ?? 0;
    const capBytes = limits.memoryLimitMb * 1024 * 1024;
    let outcome: Supervised<T> | undefined;
    let grace: NodeJS.Timeout | undefined;
    const overCap = () => {
      const rss = sandbox.residentBytes();
      return rss !== undefined && rss - baseline > capBytes;
    };
    const settle = (next: Supervised<T>) => {
      if (outcome) return;
      outcome = next;
      clearTimeout(timer);
      clearTimeout(grace);
      signal.removeEventListener("abort", onAbort);
      sandbox.off("message", onMessage);
      if (next.kind === "finished" && options.keepAfter?.(next.value)) {
        clearInterval(watchdog);
        resolve(next);
        return;
      }
      sandbox.terminate();
      // A result is final (the watchdog overrides only a timeout): the caller need not wait while the process dies.
      if (next.kind === "finished") resolve(next);
    };
    const watchdog = setInterval(() => {
      if (!overCap()) return;
      if (!outcome || outcome.kind === "timeout") {
        outcome = undefined;
        settle({ kind: "out-of-memory", durationMs: elapsed() });
      }
    }, WATCHDOG_INTERVAL_MS);
    const onAbort = () => {
      if (!options.cancel) return settle({ kind: "cancelled" });
      sandbox.post(options.cancel.message);
      grace = setTimeout(() => settle({ kind: "cancelled" }), options.cancel.graceMs);
    };
    let timer: NodeJS.Timeout | undefined;
    const startTimer = () => {
      if (limits.timeoutMs === undefined || outcome) return;
      // The verdict waits for this turn's I/O: when the caller's thread was busy as the time ran out, a result
      // already in the pipe is the job's answer, not a timeout.
      timer = setTimeout(() => setImmediate(() => settle(overCap() ? { kind: "out-of-memory", durationMs: elapsed() } : { kind: "timeout", durationMs: elapsed() })), limits.timeoutMs);
    };
    if (options.startsWhen) timer = setTimeout(() => settle({ kind: "crashed", error: new Error(`the sandbox did not start within ${STARTUP_TIMEOUT_MS / 1000} s`), durationMs: elapsed() }), STARTUP_TIMEOUT_MS);
    else startTimer();
    let exitReport: { code: number; site: SourceLocation | undefined } | undefined;
    const onMessage = (message: unknown) => {
      if (isReport(message)) {
        if (message[SANDBOX_KEY] === "exit") exitReport = { code: message.code, site: message.site };
        else settle({ kind: "crashed", error: Object.assign(new Error(message.message), { name: message.name, stack: message.stack }), durationMs: elapsed() });
        return;
      }
      // After a trapped exit, nothing the job still sends counts: it was meant to end there.
      if (exitReport) return;
      if (options.startsWhen?.(message as M)) {
        clearTimeout(timer);
        startTimer();
      }
      const value = options.onMessage(message as M);
      if (value !== undefined) settle({ kind: "finished", value, durationMs: elapsed() });
    };
    sandbox.on("message", onMessage);
    void sandbox.gone.then(async ({ code, signal: killedBy }) => {
      if (!outcome) {
        const durationMs = elapsed();
        // Its last words come first: V8's heap report on stderr, and a trapped exit's report still in its pipe.
        const outOfHeap = await sandbox.ranOutOfHeap();
        if (exitReport) settle({ kind: "exited", code: exitReport.code, site: exitReport.site, durationMs });
        else if (outOfHeap) settle({ kind: "out-of-memory", durationMs });
        else if (killedBy) settle({ kind: "crashed", error: new Error(`the sandbox process was stopped by ${killedBy}`), durationMs });
        else settle({ kind: "exited", code: code ?? 0, site: undefined, durationMs });
      }
      clearInterval(watchdog);
      resolve(outcome!);
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort);
    if (options.job !== undefined && !outcome) sandbox.post(options.job);
  });
}
