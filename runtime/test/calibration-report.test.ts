import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import {
  loadModel, prepare, calibrate, Quantizer, QuantizationAnnotation, QuantizationSpec, MinMaxObserver, Tensor,
  calibrationReport, saveCalibrationReport, readCalibrationReport, CalibrationReportError, type GraphModule,
} from "../src/tooling.js";
import { EXAMPLES, REPO_ROOT, withTempDir } from "./helpers/data.js";

const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
const V1 = path.join(REPO_ROOT, "runtime", "test", "fixtures", "report-v1");
const V1_QUANTIZER = path.join(V1, "quantizer.js");

/** Three specs on conv1's input, output and conv2's input: int16, uint8 with reduceRange, int8 with an explicit range. */
class RangesQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const wide = new QuantizationSpec({ dtype: "int16", qscheme: "per_tensor_affine", observer: MinMaxObserver });
    const reduced = new QuantizationSpec({ dtype: "uint8", qscheme: "per_tensor_affine", observer: MinMaxObserver.withArgs({ reduceRange: true }) });
    const narrow = new QuantizationSpec({ dtype: "int8", quantMin: -100, quantMax: 100, qscheme: "per_tensor_affine", observer: MinMaxObserver });
    const conv1 = model.graph.node("/conv1/Conv")!;
    const conv2 = model.graph.node("/conv2/Conv")!;
    conv1.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv1.args[0]!, wide]], outputQspec: reduced });
    conv2.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[conv2.args[0]!, narrow]] });
    return model;
  }
}

async function calibrated() {
  const model = await loadModel(MODEL);
  const prepared = prepare(model, new RangesQuantizer());
  const x = new Tensor("float32", Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i)), [2, 1, 28, 28]);
  await calibrate(prepared, [{ input: x }]);
  return prepared;
}

test("a version-2 report stores each group's resolved range: int16's own, reduceRange applied, an explicit one as given", async () => {
  const report = calibrationReport(await calibrated(), 2);
  assert.equal(report.version, 2);
  const rangeOf = (key: string) => report.groups.find((g) => g.slots.some((s) => s.key === key))!.range;
  assert.deepEqual(rangeOf("edge:input->/conv1/Conv"), { dtype: "int16", quantMin: -32768, quantMax: 32767 });
  assert.deepEqual(rangeOf("node:/conv1/Conv"), { dtype: "uint8", quantMin: 0, quantMax: 127 });
  const narrow = report.groups.find((g) => g.slots.some((s) => s.key.endsWith("->/conv2/Conv")))!;
  assert.deepEqual(narrow.range, { dtype: "int8", quantMin: -100, quantMax: 100 });
  // The spec as written stays beside it: the int16 spec gave no range.
  assert.equal(report.groups.find((g) => g.range.dtype === "int16")!.spec.quantMin, undefined);
});

test("locations are absolute in memory, relative to the report's folder on disk, and absolute again when read", async () => {
  const report = calibrationReport(await calibrated(), 2, {
    accuracy: [{ node: "/conv1/Conv", opType: "Conv", sqnr: Infinity, mse: 0, site: { file: __filename, line: 3, column: 5, endLine: 3, endColumn: 9 } }],
  });
  const location = report.groups[0]!.spec.location!;
  assert.equal(location.file, __filename, "the spec's creation site is this test file");
  assert.ok(location.line >= 1 && location.endLine === location.line && location.endColumn === location.column, "a stack frame is a point");
  await withTempDir(async (dir) => {
    const file = path.join(dir, "nested", "deeper", "r.json");
    mkdirSync(path.dirname(file), { recursive: true });
    await saveCalibrationReport(report, file);
    const onDisk = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(onDisk.version, 2);
    assert.equal(onDisk.groups[0].spec.location.file, path.relative(path.dirname(file), __filename).split(path.sep).join("/"));
    assert.equal(onDisk.sqnr[0].sqnr, null, "JSON has no Infinity");
    assert.equal(path.resolve(path.dirname(file), onDisk.model), MODEL);
    const read = readCalibrationReport(file);
    assert.deepEqual(read.groups.map((g) => g.spec.location), report.groups.map((g) => g.spec.location));
    assert.deepEqual(read.sqnr![0]!.location, { file: __filename, line: 3, column: 5, endLine: 3, endColumn: 9 });
    assert.equal(read.model, MODEL);
  });
});

test("a version-1 report written by qkit quantize reads as version 2: sites relative to where it ran, ranges filled in", () => {
  const file = path.join(V1, "out", "fmnist.int8.onnx.calibration.json");
  assert.equal(JSON.parse(readFileSync(file, "utf8")).version, 1, "the fixture is a version-1 report");
  const report = readCalibrationReport(file, { v1Roots: [V1] });
  assert.equal(report.version, 2);
  assert.equal(report.items, 16);
  assert.equal(report.groups.length, 6);
  const input = report.groups.find((g) => g.slots.some((s) => s.key === "edge:input->/conv1/Conv"))!;
  assert.deepEqual(input.spec.location, { file: V1_QUANTIZER, line: 4, column: 13, endLine: 4, endColumn: 13 });
  assert.deepEqual(input.range, { dtype: "uint8", quantMin: 0, quantMax: 255 });
  const weight = report.groups.find((g) => g.observer === "PerChannelMinMaxObserver")!;
  assert.deepEqual(weight.spec.location, { file: V1_QUANTIZER, line: 5, column: 16, endLine: 5, endColumn: 16 });
  assert.deepEqual(weight.range, { dtype: "int8", quantMin: -127, quantMax: 127 });
  assert.ok(!("site" in input.spec), "no version-1 field survives");
});

test("a version-1 report written by the editor reads as version 2: sites relative to the report, SQNR entries located", () => {
  const report = readCalibrationReport(path.join(V1, "editor", "fmnist.int8.onnx.calibration.json"));
  assert.ok(report.groups.every((g) => g.spec.location?.file === V1_QUANTIZER));
  assert.ok(report.sqnr!.length > 0);
  const located = report.sqnr!.filter((e) => e.location);
  assert.deepEqual(located.map((e) => [e.node, e.location!.file, e.location!.line]).sort(), [["/conv1/Conv", V1_QUANTIZER, 11], ["/conv2/Conv", V1_QUANTIZER, 11]]);
});

test("a report of an unknown version or format is one line naming the file", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "r.json");
    writeFileSync(file, JSON.stringify({ format: "qkit-calibration-report", version: 3, groups: [] }));
    assert.throws(() => readCalibrationReport(file), (e: unknown) => e instanceof CalibrationReportError && /r\.json: has format version 3; this qkit reads versions 1 and 2/.test(e.message));
    writeFileSync(file, "{}");
    assert.throws(() => readCalibrationReport(file), /r\.json: is not a qkit calibration report/);
  });
});
