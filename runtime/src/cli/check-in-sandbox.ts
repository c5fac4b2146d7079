import * as path from "node:path";
import { QkitError } from "../errors.js";
import type { Coverage } from "../checker/coverage.js";
import { finding, type Finding } from "../checker/finding.js";
import { QuantizerLoadError } from "../user-code/quantizer-load-error.js";
import { userFrames } from "../quantizer/source-site.js";
import { pointLocation, type SourceLocation } from "../source-location.js";
import { startSandbox, supervise, type SandboxLimits } from "../sandbox/supervisor.js";
import type { CheckSandboxData, CheckSandboxMessage } from "./check-sandbox-protocol.js";

const WORKER_FILE = path.join(__dirname, "check-worker.js");

export type SandboxedCheck =
  | { kind: "checked"; findings: Finding[]; coverage: Coverage; classSite: SourceLocation }
  | { kind: "load-failed"; error: QuantizerLoadError }
  /** The quantizer never returned: a loop, the memory cap, process.exit or a crash, as one finding. */
  | { kind: "stopped"; finding: Finding; classSite: SourceLocation };

type Answer = Exclude<CheckSandboxMessage, { kind: "loaded" | "ready" }>;

/**
 * Run a target's check in a sandbox process, as the language server does: a timeout, a memory cap (heap and
 * resident), guarded prototypes and a trapped process.exit; whatever the quantizer does ends as a result here. A
 * model that does not load throws its one-line QkitError.
 */
export async function checkInSandbox(model: string, quantizer: string, limits: Required<SandboxLimits>, options: { timeoutFlag: string; memoryFlag: string }): Promise<SandboxedCheck> {
  // As given: the sandbox shares the working directory, and messages name the files as the user did.
  const data: CheckSandboxData = { model, quantizer };
  let loaded: { classSite: SourceLocation; className: string } | undefined;
  const sandbox = startSandbox(WORKER_FILE, data, limits.memoryLimitMb, (line) => process.stderr.write(`${line}\n`));
  // The sandbox has a process group of its own, which a terminal's Ctrl-C does not reach: stop it from here.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let ended;
  try {
    ended = await supervise<CheckSandboxMessage, Answer>(sandbox, {
      limits,
      signal: abort.signal,
      startsWhen: (message) => message.kind === "ready",
      onMessage(message) {
        if (message.kind === "ready") return undefined;
        if (message.kind !== "loaded") return message;
        loaded = { classSite: message.classSite, className: message.className };
        return undefined;
      },
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const classSite = loaded?.classSite ?? pointLocation(path.resolve(quantizer), 1, 1);
  const name = loaded?.className ?? "the quantizer";
  const stopped = (f: Finding): SandboxedCheck => ({ kind: "stopped", finding: f, classSite });
  switch (ended.kind) {
    case "finished": {
      const answer = ended.value;
      if (answer.kind === "model-error") throw new QkitError(answer.code, answer.message);
      if (answer.kind === "load-failed") {
        const { code, message, detail, location } = answer.error;
        return { kind: "load-failed", error: new QuantizerLoadError(code as ConstructorParameters<typeof QuantizerLoadError>[0], message, { detail, location }) };
      }
      return answer;
    }
    case "timeout":
      return stopped(finding("check-timeout", `${name} did not finish within ${limits.timeoutMs} ms and was stopped (an endless loop?); the limit is ${options.timeoutFlag}`, classSite));
    case "out-of-memory":
      return stopped(finding("check-out-of-memory", `${name} used more than ${limits.memoryLimitMb} MB and was stopped; the limit is ${options.memoryFlag}`, classSite));
    case "exited":
      return stopped(finding("quantizer-exited", `the quantizer called process.exit(${ended.code}); a quantizer should return its model, or throw to report a problem`, ended.site ?? classSite));
    case "crashed":
      return stopped(finding("check-crashed", `the check stopped: ${ended.error.name}: ${ended.error.message}`, userFrames(ended.error.stack)[0] ?? classSite));
    case "cancelled":
      process.exit(130);
  }
}
