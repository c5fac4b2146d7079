/**
 * Type-checking in a thread of its own: a semantic check takes tens of milliseconds per edit, and in the server's
 * thread it would hold up hovers, completions and the handling of finished quantizer checks.
 */
import { parentPort, workerData } from "node:worker_threads";
import { QuantizerLanguageService, type OpenText } from "./language-service.js";
import { fromTypeScript } from "../features/diagnostics.js";
import type { TypeCheckRequest, TypeCheckResponse } from "./type-check-protocol.js";
import { IdleCollector } from "../util/idle-gc.js";

const open = new Map<string, OpenText>();
const idle = new IdleCollector();
const service = new QuantizerLanguageService((file) => open.get(file), (workerData as { root: string }).root);

parentPort!.on("message", (message: TypeCheckRequest) => {
  switch (message.kind) {
    case "open":
      open.set(message.file, { text: message.text, version: message.version });
      service.addRoot(message.file);
      break;
    case "close":
      open.delete(message.file);
      if (!message.keepRoot) service.removeRoot(message.file);
      break;
    case "root":
      service.addRoot(message.file);
      break;
    case "check": {
      const started = performance.now();
      const diagnostics = service.diagnostics(message.file).flatMap((d) => fromTypeScript(d) ?? []);
      const response: TypeCheckResponse = { id: message.id, file: message.file, diagnostics, ms: Math.round(performance.now() - started) };
      parentPort!.postMessage(response);
      // Each edit leaves a whole program behind; without this the worker's heap grows by hundreds of megabytes.
      idle.touch();
      break;
    }
  }
});
