import * as path from "node:path";
import { readFileSync } from "node:fs";
import { reportPathFor, targetFromConfig, type ResolvedTarget } from "qkit/tooling";
import type { Diagnostic } from "vscode-languageserver";
import type { CalibrationStatus, RunCalibrationResult } from "../protocol.js";
import type { Workspace } from "../workspace/workspace.js";
import { sqnrDiagnostics } from "../features/sqnr-diagnostics.js";
import { CalibrationStore, outputPathFor, reportMentions, type LoadedReport } from "./calibration-store.js";
import { runCalibration, type CalibrationProgressEvent } from "./calibration-runner.js";
import type { CalibrationJob } from "./calibration-messages.js";
import { pathToUri } from "../util/uri.js";

/** Items the numeric debugger compares on after calibration: a few batches are enough to rank nodes. */
const COMPARE_ITEMS = 64;

export class CalibrationFailure extends Error {}

export interface RunReporter {
  progress(event: CalibrationProgressEvent): void;
  stage(stage: "export" | "compare"): void;
}

/**
 * Calibration runs and their saved reports: one run per target at a time, status for the client's status bar, and
 * the SQNR warnings derived from each target's report.
 */
export class CalibrationService {
  readonly store: CalibrationStore;
  readonly #running = new Map<string, { percent?: number }>();
  readonly #failed = new Map<string, string>();

  constructor(private readonly workspace: Workspace, private readonly changed: () => void) {
    this.store = new CalibrationStore(workspace.root);
  }

  /** The report of a file's target (or, for a helper module, of the first target that has one). */
  reportFor(file: string): LoadedReport | undefined {
    const own = this.workspace.targetFor(file);
    if (own) return this.store.load(own);
    for (const t of this.workspace.config.targets) {
      const loaded = this.store.load(t);
      if (loaded && reportMentions(loaded, file)) return loaded;
    }
    return undefined;
  }

  isRunning(file: string): boolean {
    return this.#running.has(file);
  }

  status(target: ResolvedTarget): CalibrationStatus {
    const report = this.store.load(target);
    const running = this.#running.get(target.quantizerPath);
    const reportUri = report ? { report: pathToUri(report.file) } : {};
    if (running) return { state: "running", ...(running.percent !== undefined ? { percent: running.percent } : {}), ...reportUri };
    const error = this.#failed.get(target.quantizerPath);
    if (error) return { state: "failed", error, ...reportUri };
    return { state: report ? "done" : "none", ...reportUri };
  }

  /** SQNR warnings of every target's report, by file. */
  diagnostics(): Map<string, Diagnostic[]> {
    const byFile = new Map<string, Diagnostic[]>();
    const lines = new Map<string, string[]>();
    const lineText = (file: string, line: number) => {
      if (!lines.has(file)) {
        try {
          lines.set(file, readFileSync(file, "utf8").split("\n"));
        } catch {
          lines.set(file, []);
        }
      }
      return lines.get(file)![line - 1];
    };
    for (const target of this.workspace.config.targets) {
      const report = this.store.load(target);
      if (!report) continue;
      for (const [file, ds] of sqnrDiagnostics(report, this.workspace.settings.sqnrThresholdDb, lineText)) byFile.set(file, [...(byFile.get(file) ?? []), ...ds]);
    }
    return byFile;
  }

  async run(file: string, output: string | undefined, reporter: RunReporter, signal: AbortSignal): Promise<RunCalibrationResult> {
    const target = this.workspace.targetFor(file);
    if (!target) throw new CalibrationFailure(`${path.basename(file)} is not a quantizer listed in qkit.json`);
    if (!this.workspace.trusted) throw new CalibrationFailure("the workspace is not trusted: calibration runs the quantizer and is disabled in restricted mode");
    if (!target.calibration || !target.calibrationPath) {
      throw new CalibrationFailure(`target ${target.index} in qkit.json has no "calibration": { "data": ... }; add the data to calibrate on`);
    }
    if (this.#running.has(file)) throw new CalibrationFailure(`${path.basename(file)} is already being calibrated`);
    const outputPath = output ?? outputPathFor(target);
    const reportPath = reportPathFor(outputPath);
    const job: CalibrationJob = {
      target: { ...targetFromConfig(target, outputPath), model: target.modelPath, quantizer: file, output: outputPath, report: reportPath },
      compareItems: Math.min(COMPARE_ITEMS, target.calibration.limit ?? COMPARE_ITEMS),
    };
    const state: { percent?: number } = {};
    this.#running.set(file, state);
    this.#failed.delete(file);
    this.changed();
    let lastStatus = 0;
    try {
      const outcome = await runCalibration(
        job,
        this.workspace.settings.calibrationMemoryLimitMb,
        (event) => {
          if (event.limit) state.percent = Math.min(100, Math.round((100 * event.items) / event.limit));
          reporter.progress(event);
          // The status bar follows the percentage, but a notification per batch would flood the client.
          if (Date.now() - lastStatus > 250) {
            lastStatus = Date.now();
            this.changed();
          }
        },
        (stage) => reporter.stage(stage),
        signal,
      );
      if (outcome.kind === "cancelled") throw new CalibrationFailure("calibration was cancelled; nothing was written");
      if (outcome.kind === "failed") {
        this.#failed.set(file, outcome.message);
        throw new CalibrationFailure(outcome.message);
      }
      const report = this.store.load({ ...target, outputPath });
      const threshold = this.workspace.settings.sqnrThresholdDb;
      const lowSqnr = [...(report?.sqnr.values() ?? [])].filter((e) => e.sqnr !== null && e.sqnr < threshold).map((e) => ({ node: e.node, sqnr: e.sqnr! })).sort((a, b) => a.sqnr - b.sqnr);
      return {
        output: pathToUri(outputPath),
        report: pathToUri(reportPath),
        items: outcome.items,
        durationMs: outcome.durationMs,
        samplesPerSecond: outcome.durationMs > 0 ? Math.round((outcome.items * 1000) / outcome.durationMs) : outcome.items,
        lowSqnr,
      };
    } finally {
      this.#running.delete(file);
      this.changed();
    }
  }
}
