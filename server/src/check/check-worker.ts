/**
 * Checks, in a sandbox process of their own: decode its own copy of the model, then on the server's message run the
 * quantizer, check its annotations and post a plain-data report. Then it looks for what the check left behind
 * (footprint.ts): when nothing, it rebuilds its model and says it is ready for the next check; otherwise it says it
 * is spent and the server stops it (as it does on a timeout or a newer edit), so nothing a quantizer does outlives
 * its check.
 */
import * as path from "node:path";
import { statSync } from "node:fs";
import * as qkit from "qkit/tooling";
import * as authorApi from "qkit";
import type { Model, QuantizationSpecBase, SourceLocation } from "qkit/tooling";
import { quantizerFrames } from "../sandbox/frames.js";
import { modelFromSnapshot } from "./model-snapshot.js";
import type { AnnotationInfo, CheckJob, CheckReport, LoadFailure, ModelSource, SpecInfo, WorkerData, WorkerMessage } from "./worker-protocol.js";

const channel = qkit.sandboxChannel<CheckJob, WorkerMessage>();
const post = (message: WorkerMessage) => channel.post(message);

// Stack frames of compiled quantizers map back to their TypeScript lines: every site the checker records depends on it.
process.setSourceMapsEnabled(true);

function specInfo(spec: QuantizationSpecBase): SpecInfo {
  const fields = spec as unknown as { dtype?: unknown; qscheme?: unknown };
  return {
    kind: spec.constructor?.name ?? "spec",
    site: spec.site,
    ...(typeof fields.dtype === "string" ? { dtype: fields.dtype } : {}),
    ...(typeof fields.qscheme === "string" ? { qscheme: fields.qscheme } : {}),
  };
}

function annotations(model: Model): AnnotationInfo[] {
  const infos: AnnotationInfo[] = [];
  for (const node of model.graph.nodes) {
    const a = qkit.annotationOf(node);
    if (!a) continue;
    const slots = [];
    for (const [input, spec] of a.inputQspecMap) {
      if (qkit.isSpec(spec)) slots.push({ node: node.name, from: input?.name ?? "?", spec: specInfo(spec) });
    }
    if (qkit.isSpec(a.outputQspec)) slots.push({ node: node.name, spec: specInfo(a.outputQspec) });
    infos.push({ node: node.name, site: a.site, slots });
  }
  return infos;
}

function graphText(model: Model): string {
  const line = (s: SpecInfo) => `${s.kind}${s.dtype ? ` ${s.dtype}` : ""}${s.qscheme ? ` ${s.qscheme}` : ""}${s.site ? ` (${path.basename(s.site.file)}:${s.site.line})` : ""}`;
  return qkit.printGraph(model.graph, {
    annotate(node) {
      const a = qkit.annotationOf(node);
      if (!a) return undefined;
      const lines: string[] = [];
      for (const [input, spec] of a.inputQspecMap) if (qkit.isSpec(spec)) lines.push(`input ${input?.name ?? "?"}: ${line(specInfo(spec))}`);
      if (qkit.isSpec(a.outputQspec)) lines.push(`output: ${line(specInfo(a.outputQspec))}`);
      return lines;
    },
  });
}

type CheckOutcome = { kind: "result"; report: CheckReport } | { kind: "load-error"; failure: LoadFailure };

async function run(model: Model, job: CheckJob): Promise<void> {
  const outcome = await check(model, job, (loaded) => channel.postNow({ kind: "phase", phase: "annotate", ...loaded }));
  // A JSON line: findings that carry user objects in odd places arrive as their plain JSON.
  post(outcome);
}

async function check(model: Model, job: CheckJob, onAnnotating: (loaded: { classSite: SourceLocation; className: string }) => void): Promise<CheckOutcome> {
  const started = performance.now();
  let ready = started;
  let annotated = started;
  // The file's code comes first from what the server compiled, then from the editor's text, then from disk.
  const loader = new qkit.UserModuleLoader({ qkit: authorApi, compiled: (f) => job.compiled[f], text: (f) => job.sources[f] });
  const result = await qkit.checkTarget({ model, quantizer: job.file }, {
    loader,
    // Messages name the file by its diagnostics already, so they start with what is wrong.
    label: "the module",
    frames: quantizerFrames,
    // A fresh model per worker: annotating it in place saves the copy the check would make.
    inPlace: true,
    onLoaded({ classSite, className }) {
      onAnnotating({ classSite, className });
      ready = performance.now();
    },
    onAnnotated() {
      annotated = performance.now();
    },
  });
  if (result.kind === "load-failed") {
    return { kind: "load-error", failure: { code: result.error.code, message: result.error.detail ?? result.error.message, location: result.error.location } };
  }
  const checked = performance.now();
  const { className, classSite } = result.loaded;
  const report: CheckReport = {
    className,
    classSite,
    findings: result.findings,
    coverage: result.coverage,
    annotations: annotations(result.model),
    graphText: graphText(result.model),
    timings: { load: 0, annotate: 0, check: 0, report: 0 },
  };
  report.timings = {
    load: Math.round(ready - started),
    annotate: Math.round(annotated - ready),
    check: Math.round(checked - annotated),
    report: Math.round(performance.now() - checked),
  };
  return { kind: "result", report };
}

/**
 * A sandbox takes another check only when the last one left no trace (footprint.ts); these bound what traces cannot
 * show: garbage and caches that grow a little with each check.
 */
const MAX_CHECKS = 50;
const MAX_HEAP_GROWTH_MB = 128;

let writeCodeCache: (() => void) | undefined;

/**
 * Called by bundle-with-code-cache.ts when this sandbox is the one to write the bundle's code cache: it does so once
 * it has checked its own model with a built-in quantizer (warmUp), before it takes a job.
 */
export function writeCodeCacheWhenWarm(write: () => void): void {
  writeCodeCache = write;
}

function flushCodeCache(): void {
  writeCodeCache?.();
  writeCodeCache = undefined;
}

/**
 * A quantizer of qkit's own (the built-in XNNPACK one) for warmUp, as a module the loader takes like a user's. Its
 * path is outside qkit, so its frames are treated as a user's are; the file need not (and does not) exist.
 */
const WARM_UP_FILE = path.join(path.parse(__dirname).root, "qkit-code-cache-warm-up", "quantizer.js");
const WARM_UP_CODE = `"use strict";
const { XnnpackQuantizer, getSymmetricQuantizationConfig } = require("qkit");
class CodeCacheWarmUp extends XnnpackQuantizer {
  constructor() {
    super();
    this.setGlobal(getSymmetricQuantizationConfig({ isPerChannel: true }));
  }
}
exports.default = CodeCacheWarmUp;
`;

/**
 * One check of a second copy of the model with the warm-up quantizer, the result thrown away. V8 compiles a function
 * when it first runs, and a code cache holds what was compiled when it was made: made after the bundle's top level
 * only, it left every sandbox compiling the loader, annotate's helpers, the checker's rules and the report anew on
 * each edit. Only qkit's code has run here, so the cache holds nothing of a user's.
 */
async function warmUp(data: WorkerData): Promise<void> {
  try {
    const model = data.snapshot ? modelFromSnapshot(data.snapshot, data.modelPath, data.modelStamp) : undefined;
    if (model) await check(model, { file: WARM_UP_FILE, compiled: { [WARM_UP_FILE]: WARM_UP_CODE }, sources: { [WARM_UP_FILE]: WARM_UP_CODE } }, () => undefined);
  } catch {
    // A cache of whatever did compile is still worth writing.
  }
}

async function main(): Promise<void> {
  const data = (await channel.data) as WorkerData;
  let model: Model;
  let source: ModelSource = "snapshot";
  const decodeStarted = performance.now();
  try {
    const stat = statSync(data.modelPath);
    if (`${stat.size}:${stat.mtimeMs}` !== data.modelStamp) throw new Error(`${data.modelPath} changed on disk since the server read it; it is checked again once reloaded`);
    const fromSnapshot = data.snapshot ? modelFromSnapshot(data.snapshot, data.modelPath, data.modelStamp) : undefined;
    if (fromSnapshot) model = fromSnapshot;
    else {
      source = "file";
      model = await qkit.loadModel(data.modelPath);
    }
  } catch (error) {
    // Without a model there is nothing to warm up with: the top level's code is still worth caching.
    flushCodeCache();
    post({ kind: "model-error", message: (error as Error).message });
    return;
  }
  if (writeCodeCache) await warmUp(data);
  flushCodeCache();
  // Hardened while the spare waits for its job, not after the edit: nothing but the job runs here from now on.
  qkit.guardPrototypes();
  qkit.trapProcessExit(quantizerFrames);
  // The console's streams open on first use; opened now, a quantizer that logs leaves nothing open behind.
  void process.stdout;
  void process.stderr;
  const footprint = qkit.takeFootprint({ roots: { qkit: authorApi }, maxHeapGrowthMb: MAX_HEAP_GROWTH_MB });
  let checks = 0;
  let busy = false;
  channel.onMessage((job) => {
    if (busy) return;
    busy = true;
    checks++;
    footprint.jobStarts();
    void run(model, job).then(() => {
      // After the job's own callbacks (a quantizer's promise chains) have run: what it left is now in place.
      setImmediate(() => {
        try {
          const trace = !data.snapshot ? "its model was decoded from the file" : checks >= MAX_CHECKS ? `it ran ${checks} checks` : footprint.changedSince();
          // The job annotated its model in place: the next one gets a model as the file has it.
          const rebuilt = performance.now();
          const fresh = trace === undefined ? modelFromSnapshot(data.snapshot!, data.modelPath, data.modelStamp) : undefined;
          if (!fresh) {
            post({ kind: "spent", reason: trace ?? "its model could not be rebuilt" });
            return;
          }
          model = fresh;
          busy = false;
          post({ kind: "ready", decodeMs: Math.round(performance.now() - rebuilt), model: "snapshot", reused: true });
        } catch (error) {
          post({ kind: "spent", reason: `looking for traces failed: ${(error as Error).message}` });
        }
      });
    });
  });
  post({ kind: "ready", decodeMs: Math.round(performance.now() - decodeStarted), model: source, reused: false });
}

void main();
