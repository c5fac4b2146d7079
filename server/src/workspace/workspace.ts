import * as path from "node:path";
import { existsSync } from "node:fs";
import type * as ts from "typescript";
import type { Diagnostic } from "vscode-languageserver";
import { isBuiltinQuantizerName, pointLocation, type ResolvedTarget, type SourceLocation } from "qkit/tooling";
import { DEFAULT_SETTINGS, type CheckTimings, type QkitSettings, type StatusResult } from "../protocol.js";
import { CheckRunner, type CheckLimits, type CheckOutcome } from "../check/check-runner.js";
import type { OpenText } from "../typescript/language-service.js";
import { quantizerClasses } from "../typescript/syntax-queries.js";
import { SyntaxTrees } from "../typescript/syntax-trees.js";
import { TypeChecker } from "../typescript/type-checker.js";
import { CompileCache, readText } from "../typescript/compile-cache.js";
import { dedupe, outcomeDiagnostics, type PlacedDiagnostic } from "../features/diagnostics.js";
import { staticChecks, untrustedNotice } from "../features/static-checks.js";
import { ConfigStore } from "./config-store.js";
import { configDiagnostics } from "./config-diagnostics.js";
import { ModelCache, type LoadedModel, type ProgressReporter } from "./model-cache.js";
import { IdleCollector } from "../util/idle-gc.js";

export interface WorkspaceHost {
  open(file: string): OpenText | undefined;
  openFiles(): string[];
  publish(file: string, diagnostics: Diagnostic[]): void;
  log(message: string): void;
  progress: ProgressReporter;
  /** A check finished: status and code lenses may have changed. */
  checked(): void;
}

export interface TargetResult {
  outcome: Exclude<CheckOutcome, { kind: "cancelled" }>;
  version: number | null;
  /** Where the time from the edit to the published diagnostics went (a finished check only). */
  timings?: CheckTimings;
}

const TYPE_CHECK_GRACE_MS = 250;
const SCRIPT = /\.(ts|tsx|mts|cts|js|cjs|mjs)$/;

/**
 * The server's state and what keeps it current: qkit.json, models, the TypeScript program, the latest check of
 * each open quantizer and the diagnostics they give. Input state (documents, config, trust, settings) changes only
 * through the methods here; everything derived is recomputed from it.
 */
export class Workspace {
  readonly config: ConfigStore;
  readonly models: ModelCache;
  readonly syntax: SyntaxTrees;
  readonly types: TypeChecker;
  readonly runner: CheckRunner;
  readonly results = new Map<string, TargetResult>();
  trusted = true;
  settings: QkitSettings = { ...DEFAULT_SETTINGS };

  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** When each file was last edited, and how long its last edit waited for the debounce. */
  readonly #editedAt = new Map<string, number>();
  readonly #debounced = new Map<string, { ms: number; atOnce: boolean }>();
  readonly #typeCheckMs = new Map<string, number>();
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  readonly #typeDiagnostics = new Map<string, Versioned<Diagnostic[]>>();
  readonly #checkDiagnostics = new Map<string, Versioned<PlacedDiagnostic[]>>();
  /** Per quantizer file, the latest type errors and check findings of one and the same version: what is shown. */
  readonly #consistent = new Map<string, { types: Versioned<Diagnostic[]> | undefined; checks: Versioned<PlacedDiagnostic[]> | undefined }>();
  readonly #modelErrors = new Map<string, string>();
  readonly #published = new Map<string, string>();
  readonly #idle = new IdleCollector(() => this.#timers.size > 0 || this.#running.size > 0);
  readonly #compiler: CompileCache;
  #precompiling = false;

  constructor(readonly root: string, private readonly host: WorkspaceHost) {
    this.config = new ConfigStore(root);
    this.models = new ModelCache(host.progress, (file) => this.#modelChanged(file));
    this.syntax = new SyntaxTrees((f) => host.open(f));
    this.types = new TypeChecker(root);
    this.#compiler = new CompileCache((f) => host.open(f)?.text ?? readText(f));
    this.runner = new CheckRunner(host.log);
  }

  start(): void {
    this.config.reload(this.host.open(this.config.file)?.text);
    for (const t of this.config.targets) this.types.addRoot(t.quantizerPath);
    this.#republish();
    // Load the models now (with progress) so the first check and hover do not wait for them.
    for (const modelPath of new Set(this.config.targets.map((t) => t.modelPath))) void this.#model(modelPath);
  }

  dispose(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    for (const run of this.#running.values()) run.abort.abort();
    this.runner.dispose();
    this.types.dispose();
    this.models.dispose();
  }

  targetFor(file: string): ResolvedTarget | undefined {
    return this.config.targetFor(file);
  }

  /** The model a file is written against: its target's, else the first target's (a helper module, say). */
  modelTargetFor(file: string): ResolvedTarget | undefined {
    return this.targetFor(file) ?? this.config.targets[0];
  }

  async loadedModel(file: string): Promise<LoadedModel | undefined> {
    const target = this.modelTargetFor(file);
    if (!target) return undefined;
    const result = await this.#model(target.modelPath);
    return result;
  }

  documentChanged(file: string): void {
    if (file === this.config.file) {
      if (this.config.reload(this.host.open(file)?.text)) this.#configChanged();
      return;
    }
    if (!SCRIPT.test(file)) return;
    const doc = this.host.open(file);
    if (doc) this.types.open(file, doc.text, doc.version);
    else this.types.addRoot(file);
    // A newer edit makes the running check pointless: stop it now rather than after the debounce.
    for (const target of this.#affectedTargets(file)) this.#running.get(target.quantizerPath)?.abort.abort();
    clearTimeout(this.#timers.get(file));
    const now = performance.now();
    const previous = this.#editedAt.get(file);
    this.#editedAt.set(file, now);
    this.#idle.touch();
    // Only a burst of typing waits: an edit after a quiet gap (no edit within the debounce) is checked at once, as
    // an edit whose check a newer edit cancels costs only a spare sandbox.
    if (previous === undefined || now - previous >= this.settings.debounceMs) {
      this.#timers.delete(file);
      this.#debounced.set(file, { ms: 0, atOnce: true });
      this.#afterEdit(file);
      return;
    }
    this.#precompile(file);
    this.#timers.set(file, setTimeout(() => {
      this.#timers.delete(file);
      this.#debounced.set(file, { ms: Math.round(performance.now() - (this.#editedAt.get(file) ?? performance.now())), atOnce: false });
      this.#afterEdit(file);
    }, this.settings.debounceMs));
  }

  /**
   * While the debounce runs: compile the quantizers an edit affects (cached per text), so that when it ends the check's
   * job goes to its sandbox at once, and bring the TypeScript program up to date, so that the type-check that runs
   * meanwhile only checks.
   */
  #precompile(file: string): void {
    if (this.#precompiling) return;
    this.#precompiling = true;
    setImmediate(() => {
      this.#precompiling = false;
      if (this.trusted) for (const target of this.#affectedTargets(file)) if (this.host.open(target.quantizerPath)) this.#compiler.compile(target.quantizerPath);
      this.types.update();
    });
  }

  documentClosed(file: string): void {
    if (file === this.config.file) {
      if (this.config.reload()) this.#configChanged();
      return;
    }
    clearTimeout(this.#timers.get(file));
    this.#timers.delete(file);
    this.#running.get(file)?.abort.abort();
    this.#typeDiagnostics.delete(file);
    this.#checkDiagnostics.delete(file);
    this.#consistent.delete(file);
    this.types.close(file, !!this.targetFor(file));
    this.syntax.forget(file);
    this.#republish();
  }

  setTrusted(trusted: boolean): void {
    if (trusted === this.trusted) return;
    this.trusted = trusted;
    // Spares run no user code, but an untrusted workspace gets no check to use them.
    if (!trusted) this.runner.dispose();
    this.#recheckAll();
  }

  setSettings(settings: Partial<QkitSettings>): void {
    this.settings = { ...DEFAULT_SETTINGS, ...this.settings, ...definedOnly(settings) };
    this.#recheckAll();
  }

  /** Wait for the check of a target in flight, if any. */
  async settled(file: string): Promise<void> {
    for (;;) {
      const pending = this.#timers.has(file);
      const run = this.#running.get(file);
      if (!pending && !run) return;
      await (run ? run.done : new Promise((r) => setTimeout(r, 20)));
    }
  }

  status(): StatusResult {
    const state = this.config.state;
    return {
      trusted: this.trusted,
      config: state.text === undefined ? null : this.config.file,
      configProblems: state.problems.length,
      targets: state.targets.map((t) => {
        const result = this.results.get(t.quantizerPath);
        const outcome = result?.outcome;
        const findings = outcome?.kind === "done" ? outcome.report.findings : [];
        return {
          quantizer: t.quantizer,
          model: t.model,
          modelState: this.models.state(t.modelPath).state,
          ...(this.#modelErrors.has(t.modelPath) ? { modelError: this.#modelErrors.get(t.modelPath)! } : {}),
          ...(outcome
            ? {
                lastCheck: {
                  outcome: outcome.kind,
                  durationMs: outcome.durationMs,
                  errors: findings.filter((f) => f.severity === "error").length,
                  warnings: findings.filter((f) => f.severity === "warning").length,
                  ...(outcome.kind === "done" ? { annotated: outcome.report.coverage.annotated, total: outcome.report.coverage.total } : {}),
                  ...(result?.timings ? { timings: result.timings } : {}),
                },
              }
            : {}),
        };
      }),
      checksRunning: this.#running.size,
      checkSandboxes: this.runner.sandboxes(),
      settings: this.settings,
    };
  }

  /** The quantizer class a file declares, for findings that have no line of their own. */
  staticClassSite(file: string): SourceLocation {
    const sf = this.syntax.sourceFile(file);
    const classes = sf ? quantizerClasses(sf) : [];
    const chosen = classes.find((c) => c.exported) ?? classes[0];
    if (!sf || !chosen) return pointLocation(file, 1, 1);
    const text = sf.text;
    const classKeyword = text.indexOf("class", chosen.start);
    const at = sf.getLineAndCharacterOfPosition(classKeyword >= 0 ? classKeyword : chosen.start);
    return pointLocation(file, at.line + 1, at.character + 1);
  }

  #affectedTargets(file: string): ResolvedTarget[] {
    const own = this.targetFor(file);
    if (own) return [own];
    // A helper module: every open quantizer may import it.
    return this.config.targets.filter((t) => this.host.open(t.quantizerPath));
  }

  #afterEdit(file: string): void {
    // The quantizer's check goes to its sandbox first; type-checking (on this thread) runs while it works.
    const dispatched: Promise<void>[] = [];
    for (const target of this.#affectedTargets(file)) {
      if (!this.host.open(target.quantizerPath)) continue;
      let onDispatched!: () => void;
      dispatched.push(new Promise<void>((resolve) => (onDispatched = resolve)));
      void this.#check(target, onDispatched);
    }
    // Once the checks' jobs are on their way (or are not to be): the type-check holds this thread.
    void Promise.all(dispatched).then(() => this.#typeCheck(file));
  }

  async #typeCheck(file: string): Promise<void> {
    const { diagnostics, ms, version } = await this.types.check(file);
    // Closed meanwhile: its diagnostics were cleared and stay so.
    if (!this.host.open(file)) return;
    this.#typeDiagnostics.set(file, { version, value: diagnostics });
    this.#typeCheckMs.set(file, ms);
    this.#republish();
    this.#idle.touch();
    this.host.log(`type-checked ${path.basename(file)} in ${ms} ms`);
  }

  #configChanged(): void {
    for (const t of this.config.targets) this.types.addRoot(t.quantizerPath);
    this.#recheckAll();
  }

  #recheckAll(): void {
    for (const run of this.#running.values()) run.abort.abort();
    this.results.clear();
    this.#checkDiagnostics.clear();
    this.#consistent.clear();
    this.#republish();
    for (const file of this.host.openFiles()) if (SCRIPT.test(file)) this.documentChanged(file);
  }

  #modelChanged(file: string): void {
    this.host.log(`${file} changed on disk; checking again`);
    for (const target of this.config.targets) {
      if (target.modelPath === file && this.host.open(target.quantizerPath)) void this.#check(target);
    }
    if (!this.config.targets.some((t) => t.modelPath === file && this.host.open(t.quantizerPath))) void this.#model(file).then(() => this.#republish());
  }

  async #model(modelPath: string): Promise<LoadedModel | undefined> {
    const result = await this.models.get(modelPath);
    const hadError = this.#modelErrors.get(modelPath);
    if (result.ok) this.#modelErrors.delete(modelPath);
    else this.#modelErrors.set(modelPath, result.message);
    if (hadError !== this.#modelErrors.get(modelPath)) this.#republish();
    // Warm the check sandboxes as soon as the model is here, so that not even the first check waits for one.
    if (result.ok && this.trusted && (!this.runner.warming || this.config.targets.some((t) => t.modelPath === modelPath && this.host.open(t.quantizerPath)))) {
      this.runner.warm(result.loaded, this.#limits());
    }
    return result.ok ? result.loaded : undefined;
  }

  #check(target: ResolvedTarget, onDispatched?: () => void): Promise<void> {
    const file = target.quantizerPath;
    this.#running.get(file)?.abort.abort();
    const abort = new AbortController();
    const done = this.#runCheck(target, abort.signal, onDispatched)
      .catch((error: unknown) => {
        this.host.log(`checking ${file} failed: ${(error as Error)?.stack ?? String(error)}`);
        // No findings for this version, rather than holding its type errors back for a check that will not come.
        if (!abort.signal.aborted) this.#setCheckDiagnostics(file, [], this.host.open(file)?.version ?? null);
      })
      .finally(() => {
        onDispatched?.();
        if (this.#running.get(file)?.abort === abort) this.#running.delete(file);
      });
    this.#running.set(file, { abort, done });
    return done;
  }

  async #runCheck(target: ResolvedTarget, signal: AbortSignal, onDispatched?: () => void): Promise<void> {
    const file = target.quantizerPath;
    // A model still loading would hold the type errors back for seconds: they need not wait for this check.
    if (this.models.state(target.modelPath).state !== "loaded") onDispatched?.();
    const model = await this.#model(target.modelPath);
    if (signal.aborted) return;
    const sf = this.syntax.sourceFile(file);
    const version = this.host.open(file)?.version ?? null;
    if (!model || !sf) {
      // qkit.json says why (the model does not load, the file is missing).
      this.#setCheckDiagnostics(file, [], version);
      return;
    }
    if (!this.trusted) {
      const diagnostics = [untrustedNotice(), ...staticChecks(sf, model.model, target.model)];
      this.#setCheckDiagnostics(file, diagnostics.map((diagnostic) => ({ file, diagnostic })), version);
      return;
    }
    const sources: Record<string, string> = {};
    for (const open of this.host.openFiles()) if (SCRIPT.test(open)) sources[open] = this.host.open(open)!.text;
    const limits = this.#limits();
    const compileStarted = performance.now();
    const compiled = this.#compiler.compile(file);
    const dispatched = performance.now();
    const running = this.runner.run(model, { file, compiled, sources }, limits, signal);
    onDispatched?.();
    const outcome = await running;
    const received = performance.now();
    if (outcome.kind === "cancelled" || signal.aborted) return;
    if (outcome.kind === "load-error" && outcome.failure.code === "syntax") {
      // The type-checker's syntax errors say it better than a failed run would.
      this.results.delete(file);
      this.#setCheckDiagnostics(file, [], version);
      return;
    }
    const result: TargetResult = { outcome, version };
    this.results.set(file, result);
    const timings = outcome.kind === "done" ? ` (load ${outcome.report.timings.load}, annotate ${outcome.report.timings.annotate}, check ${outcome.report.timings.check}, report ${outcome.report.timings.report})` : "";
    const memory = process.memoryUsage();
    this.host.log(`checked ${path.basename(file)}: ${outcome.kind} in ${outcome.durationMs} ms${timings}; rss ${mb(memory.rss)} MB, heap ${mb(memory.heapUsed)} MB, array buffers ${mb(memory.arrayBuffers)} MB`);
    const sourceOf = (f: string) => this.syntax.sourceFile(f);
    const placed = outcomeDiagnostics(outcome, file, this.staticClassSite(file), sourceOf, limits);
    // Which text the results are for: a client (or the benchmark) can tell them from results of an older version.
    for (const p of placed) p.diagnostic.data = { ...(p.diagnostic.data as object | undefined), version };
    this.#setCheckDiagnostics(file, placed, version);
    if (outcome.kind === "done") {
      const { load, annotate, check, report } = outcome.report.timings;
      const { waitMs, decodeMs, warm, reused, model: modelSource } = outcome.startup;
      result.timings = {
        debounceMs: this.#debounced.get(file)?.ms ?? 0,
        checkedAtOnce: this.#debounced.get(file)?.atOnce ?? false,
        compileMs: Math.round(dispatched - compileStarted),
        workerStartMs: waitMs,
        modelDecodeMs: decodeMs,
        warmSandbox: warm,
        reusedSandbox: reused,
        model: modelSource,
        loadMs: load,
        annotateMs: annotate,
        checkMs: check,
        reportMs: report,
        transferMs: Math.max(0, Math.round(received - dispatched) - waitMs - load - annotate - check - report),
        publishMs: Math.round(performance.now() - received),
        typeCheckMs: this.#typeCheckMs.get(file) ?? 0,
      };
    }
    this.host.checked();
    this.#idle.touch();
  }

  #limits(): CheckLimits {
    return { timeoutMs: this.settings.checkTimeoutMs, memoryLimitMb: this.settings.checkMemoryLimitMb };
  }

  #setCheckDiagnostics(file: string, diagnostics: PlacedDiagnostic[], version: number | null): void {
    this.#checkDiagnostics.set(file, { version, value: diagnostics });
    this.#republish();
  }

  /**
   * What a file's own type-check and check give, from one version of its text: while one of them is still at an
   * older version (the type-check is fast, the check is not), the last pair that agreed stays shown, so a publish
   * never mixes the type errors of one edit with the findings of another. A file that is not open has no versions.
   */
  #agreeing(file: string): { types: Versioned<Diagnostic[]> | undefined; checks: Versioned<PlacedDiagnostic[]> | undefined } {
    const types = this.#typeDiagnostics.get(file);
    const checks = this.#checkDiagnostics.get(file);
    const agree = !types || !checks || types.version === null || checks.version === null || types.version === checks.version;
    if (agree) this.#consistent.set(file, { types, checks });
    return (agree ? undefined : this.#consistent.get(file)) ?? { types, checks };
  }

  #quantizerProblem(target: ResolvedTarget): string | undefined {
    const outcome = this.results.get(target.quantizerPath)?.outcome;
    if (outcome) {
      if (outcome.kind === "load-error" && (outcome.failure.code === "no-quantizer" || outcome.failure.code === "ambiguous")) {
        return outcome.failure.message;
      }
      return undefined;
    }
    const sf: ts.SourceFile | undefined = this.syntax.sourceFile(target.quantizerPath);
    if (!sf) return undefined;
    const exportsQuantizer = quantizerClasses(sf).some((c) => c.exported) || /\bexport\s+default\b/.test(sf.text);
    return exportsQuantizer ? undefined : 'exports no Quantizer; export a class that extends Quantizer from "qkit" (as the default export, or the only one)';
  }

  /** Publish every file whose diagnostics changed; files that lost theirs get an empty list. */
  #republish(): void {
    const byFile = new Map<string, Diagnostic[]>();
    const add = (file: string, ds: Diagnostic[]) => byFile.set(file, [...(byFile.get(file) ?? []), ...ds]);
    for (const file of new Set([...this.#typeDiagnostics.keys(), ...this.#checkDiagnostics.keys()])) {
      const { types, checks } = this.#agreeing(file);
      if (types) add(file, types.value);
      for (const p of checks?.value ?? []) add(p.file, [p.diagnostic]);
    }
    const configDs = configDiagnostics(this.config.state, {
      quantizerExists: (t) => !!this.host.open(t.quantizerPath) || existsSync(t.quantizerPath) || isBuiltinQuantizerName(t.quantizerPath),
      modelError: (t) => this.#modelErrors.get(t.modelPath),
      quantizerProblem: (t) => this.#quantizerProblem(t),
    });
    add(this.config.file, configDs);
    for (const file of this.#published.keys()) if (!byFile.has(file)) byFile.set(file, []);
    for (const [file, ds] of byFile) {
      const unique = dedupe(ds);
      const key = JSON.stringify(unique);
      if (this.#published.get(file) === key) continue;
      if (unique.length === 0 && !this.#published.has(file)) continue;
      if (unique.length === 0) this.#published.delete(file);
      else this.#published.set(file, key);
      this.host.publish(file, unique);
    }
  }
}

/** Diagnostics and the version of the document text they were computed from (null: a file that is not open). */
interface Versioned<T> {
  version: number | null;
  value: T;
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

function definedOnly<T extends object>(x: T): Partial<T> {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
}
