import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { CalibrationAbortedError, PrepareError, QuantizerLoadError, calibrateTarget, checkTarget, loadModel, quantizeTarget, targetFromConfig, resolveTargets, type PipelineTarget } from "../src/tooling.js";
import { EXAMPLES, withTempDir } from "./helpers/data.js";

const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
const TUTORIAL = path.join(EXAMPLES, "fashion-mnist", "tutorial-quantizer.ts");
const DATA = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
const data = (limit: number) => ({ location: DATA, options: { batchSize: 16, limit, normalize: { mean: [0.286], std: [0.353] } } });

test("checkTarget: findings and coverage for a quantizer, a located load failure for one that throws while loading", async () => {
  const checked = await checkTarget({ model: MODEL, quantizer: TUTORIAL });
  assert.equal(checked.kind, "checked");
  assert.ok(checked.kind === "checked" && checked.coverage.annotated > 0 && !checked.findings.some((f) => f.severity === "error"));
  await withTempDir(async (dir) => {
    const file = path.join(dir, "throws-at-load.ts");
    writeFileSync(file, 'import { Quantizer } from "qkit";\nthrow new Error("no config");\nexport default class Q extends Quantizer {}\n');
    const failed = await checkTarget({ model: MODEL, quantizer: file });
    assert.equal(failed.kind, "load-failed");
    assert.ok(failed.kind === "load-failed" && failed.error instanceof QuantizerLoadError);
    assert.deepEqual([failed.error.location?.file, failed.error.location?.line], [file, 2]);
  });
});

test("checkTarget on a loaded model leaves it unannotated unless told to annotate it in place", async () => {
  const model = await loadModel(MODEL);
  const copy = await checkTarget({ model, quantizer: TUTORIAL });
  assert.ok(copy.kind === "checked" && copy.model !== model);
  const inPlace = await checkTarget({ model, quantizer: TUTORIAL }, { inPlace: true });
  assert.ok(inPlace.kind === "checked" && inPlace.model === model);
});

test("quantizeTarget writes the model and the report; compareItems adds each node's SQNR; locations are relative to the report's folder", async () => {
  await withTempDir(async (dir) => {
    const output = path.join(dir, "out", "fmnist.int8.onnx");
    const stages: string[] = [];
    const progress: number[] = [];
    const done = await quantizeTarget({ model: MODEL, quantizer: TUTORIAL, data: data(48), output }, {
      compareItems: 16,
      onStage: (s) => stages.push(s),
      onProgress: (p) => progress.push(p.items),
    });
    assert.deepEqual(stages, ["calibrate", "convert", "compare", "export"]);
    assert.deepEqual(progress, [16, 32, 48]);
    assert.equal(done.items, 48);
    assert.equal(done.report, `${output}.calibration.json`);
    assert.ok(existsSync(output));
    type Stored = { file: string; line: number };
    const report = JSON.parse(readFileSync(done.report, "utf8")) as { items: number; groups: { spec: { location?: Stored } }[]; sqnr: { node: string; location?: Stored }[] };
    assert.equal(report.items, 48);
    const fromReport = path.relative(path.dirname(done.report), TUTORIAL).split(path.sep).join("/");
    assert.ok(report.groups.every((g) => g.spec.location?.file === fromReport && g.spec.location.line > 0), JSON.stringify(report.groups.map((g) => g.spec.location)));
    assert.equal(report.sqnr.length, done.accuracy!.length);
    assert.ok(report.sqnr.some((e) => e.location?.file === fromReport));
  });
});

test("quantizeTarget aborted after calibration started: a CalibrationAbortedError and no file at all", async () => {
  await withTempDir(async (dir) => {
    const output = path.join(dir, "out", "fmnist.int8.onnx");
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      quantizeTarget({ model: MODEL, quantizer: TUTORIAL, data: data(256), output }, {
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.items);
          controller.abort();
        },
      }),
      (e: unknown) => e instanceof CalibrationAbortedError && /cancelled after 16 inputs/.test(e.message),
    );
    assert.deepEqual(seen, [16], "stopped at the next batch");
    assert.deepEqual(readdirSync(dir), [], "not even the output folder's files");
  });
});

test("quantizeTarget refuses a quantizer with errors before calibrating, with its findings", async () => {
  await withTempDir(async (dir) => {
    const output = path.join(dir, "q.onnx");
    let calibrated = false;
    await assert.rejects(
      quantizeTarget({ model: MODEL, quantizer: path.join(EXAMPLES, "broken", "shared-spec-cycle.ts"), data: data(16), output }, { onProgress: () => (calibrated = true) }),
      (e: unknown) => e instanceof PrepareError && e.findings.some((f) => f.code === "shared-spec-cycle"),
    );
    assert.equal(calibrated, false);
    assert.equal(existsSync(output), false);
  });
});

test("a qkit.json target runs as the pipeline's target: its data options, its output", async () => {
  const [resolved] = resolveTargets({ targets: [{ quantizer: "q.ts", model: "m.onnx", calibration: { data: "d.gz", limit: 64, mean: 0.5, std: [0.25] }, output: "out/m.int8.onnx" }] }, "/ws");
  const target: PipelineTarget = targetFromConfig(resolved!);
  assert.deepEqual(target, {
    model: path.resolve("/ws/m.onnx"),
    quantizer: path.resolve("/ws/q.ts"),
    data: { location: path.resolve("/ws/d.gz"), options: { batchSize: 16, limit: 64, normalize: { mean: [0.5], std: [0.25] } } },
    output: path.resolve("/ws/out/m.int8.onnx"),
  });
});

test("calibrateTarget with a shard sees only its share of the batches", async () => {
  const target = { model: MODEL, quantizer: TUTORIAL, data: data(64) };
  const whole = await calibrateTarget(target);
  const half = await calibrateTarget(target, { shard: { index: 1, count: 2 } });
  assert.equal(whole.items, 64);
  assert.equal(half.items, 32);
});
