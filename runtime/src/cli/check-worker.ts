/**
 * `qkit check`'s sandbox: runs one target's quantizer on its model in a process of its own, hardened as the
 * language server's check workers are, and answers with plain data. The CLI supervises it (check-in-sandbox.ts).
 */
// The package entry: loading it hands the author API to the user-module loader.
import "../index.js";
import { loadModel } from "../model-io/load-model.js";
import { checkTarget } from "../pipeline/check-target.js";
import { QkitError } from "../errors.js";
import { userFrames } from "../quantizer/source-site.js";
import { sandboxChannel } from "../sandbox/channel.js";
import { transpileQuantizer } from "../user-code/transpile.js";
import { guardPrototypes, trapProcessExit } from "../sandbox/harden.js";
import type { CheckSandboxData, CheckSandboxMessage } from "./check-sandbox-protocol.js";

const channel = sandboxChannel<never, CheckSandboxMessage>();

async function main(): Promise<void> {
  const { model: modelPath, quantizer } = (await channel.data) as CheckSandboxData;
  let model;
  try {
    model = await loadModel(modelPath);
  } catch (error) {
    if (!(error instanceof QkitError)) throw error;
    return channel.post({ kind: "model-error", code: error.code, message: error.message });
  }
  // The compiler loads now, so the time limit, which starts at "ready", is the quantizer's own.
  transpileQuantizer(quantizer, "");
  channel.postNow({ kind: "ready" });
  guardPrototypes();
  trapProcessExit(userFrames);
  const result = await checkTarget({ model, quantizer }, {
    inPlace: true,
    // At once: annotate() may never return to let a posted message leave.
    onLoaded: ({ classSite, className }) => channel.postNow({ kind: "loaded", classSite, className }),
  });
  if (result.kind === "load-failed") {
    const { code, message, detail, location } = result.error;
    return channel.post({ kind: "load-failed", error: { code, message, detail, location } });
  }
  // Findings may carry user objects in odd places; plain JSON always crosses.
  const plain = JSON.parse(JSON.stringify({ findings: result.findings, coverage: result.coverage })) as Pick<typeof result, "findings" | "coverage">;
  channel.post({ kind: "checked", ...plain, classSite: result.loaded.classSite });
}

void main();
