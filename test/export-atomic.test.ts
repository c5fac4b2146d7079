import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * A kill at any step of an export leaves the old set of files or the new one, never a mix. Each run is a real qkit
 * process that a preloaded hook kills (SIGKILL, nothing runs after it) at its k-th rename: the steps where one file
 * has taken its place and the next has not.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "runtime", "bin", "qkit.js");
const TOOLING = path.join(ROOT, "runtime", "dist", "src", "tooling.js");
const MODEL = path.join(ROOT, "examples", "fmnist_cnn_op13.onnx");
const QUANTIZER = path.join(ROOT, "examples", "fashion-mnist", "tutorial-quantizer.ts");
const CALIBRATION = path.join(ROOT, "examples", "fashion-mnist", "calibration-images-idx3-ubyte.gz");

const HOOK = `
const fs = require("node:fs");
const at = Number(process.env.QKIT_TEST_KILL_AT_RENAME);
const rename = fs.promises.rename;
let n = 0;
fs.promises.rename = function (...args) {
  if (++n === at) process.kill(process.pid, "SIGKILL");
  return rename.apply(this, args);
};
`;

function withDir(fn: (dir: string, hook: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "qkit-kill-"));
    try {
      const hook = path.join(dir, "kill-hook.cjs");
      writeFileSync(hook, HOOK);
      await fn(dir, hook);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function run(hook: string, killAt: number, args: string[], cwd: string) {
  return spawnSync(process.execPath, ["--require", hook, ...args], { cwd, encoding: "utf8", env: { ...process.env, QKIT_TEST_KILL_AT_RENAME: String(killAt) } });
}

/** Every file of a folder by name, its bytes as hex, but the hook. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).filter((f) => f !== "kill-hook.cjs" && !f.startsWith("save")).sort().map((f) => [f, readFileSync(path.join(dir, f)).toString("hex")]));
}

const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

test("quantize killed at each rename: the model and its report are the old pair or the new one, and temp files are cleaned", withDir((dir, hook) => {
  const quantize = (limit: number, killAt = 0) => run(hook, killAt, [CLI, "quantize", "--model", MODEL, "--quantizer", QUANTIZER, "--data", CALIBRATION, "--limit", String(limit), "--out", "m.int8.onnx"], dir);
  const files = ["m.int8.onnx", "m.int8.onnx.calibration.json"];
  const pair = () => files.map((f) => readFileSync(path.join(dir, f)).toString("hex"));
  assert.equal(quantize(32).status, 0);
  const before = pair();
  assert.equal(quantize(64).status, 0);
  const after = pair();
  assert.notDeepEqual(after[0], before[0]);
  let kills = 0;
  for (let k = 1; ; k++) {
    for (const [i, f] of files.entries()) writeFileSync(path.join(dir, f), Buffer.from(before[i]!, "hex"));
    const result = quantize(64, k);
    if (result.signal !== "SIGKILL") {
      assert.equal(result.status, 0, result.stderr);
      break;
    }
    kills++;
    const [model, report] = pair();
    assert.ok(model === before[0] || model === after[0], `after a kill at rename ${k} the model is neither the old nor the new one`);
    assert.ok(!(model === after[0] && report === before[1]), `after a kill at rename ${k} the new model stands beside the old report`);
  }
  assert.ok(kills >= 2, "the report and the model are renamed separately");
  assert.deepEqual(pair(), after);
  assert.deepEqual(temps(dir), [], "a later run removes the temp files the killed runs left");
}));

test("saving with external data killed at each rename: the model loads with the data it was saved with", withDir((dir, hook) => {
  const save = (scale: number, killAt = 0) => run(hook, killAt, ["-e", `
    const { loadModel, saveModel, tensorToFloat32, makeTensor } = require(${JSON.stringify(TOOLING)});
    (async () => {
      const model = await loadModel(${JSON.stringify(MODEL)});
      for (const p of model.graph.parameters()) {
        const values = tensorToFloat32(p.tensor).map((v) => v * ${scale});
        if (p.tensor.dataType === 1) p.tensor = makeTensor(p.tensor.name, "float32", p.tensor.dims.map(Number), values);
      }
      await saveModel(model, "m.onnx", { externalData: true });
    })();`], dir);
  const outputs = async () => {
    const { loadModel, serializeModel } = await import(TOOLING);
    return Buffer.from(serializeModel(await loadModel(path.join(dir, "m.onnx")))).toString("hex");
  };
  return (async () => {
    assert.equal(save(1).status, 0);
    const old = await outputs();
    const oldFiles = snapshot(dir);
    assert.equal(save(2).status, 0);
    const fresh = await outputs();
    assert.notEqual(fresh, old);
    assert.equal([...snapshot(dir).keys()].filter((f) => f.endsWith(".data")).length, 1, "the old data file is removed once the new model is in place");
    let kills = 0;
    for (let k = 1; ; k++) {
      for (const f of readdirSync(dir)) if (f.startsWith("m.onnx") || f.startsWith(".m.onnx")) rmSync(path.join(dir, f));
      for (const [f, hex] of oldFiles) writeFileSync(path.join(dir, f), Buffer.from(hex, "hex"));
      const result = save(2, k);
      if (result.signal !== "SIGKILL") {
        assert.equal(result.status, 0, result.stderr);
        break;
      }
      kills++;
      const now = await outputs();
      assert.ok(now === old || now === fresh, `after a kill at rename ${k} the model reads data of another version`);
    }
    assert.ok(kills >= 2, "the data file and the model are renamed separately");
    assert.equal(await outputs(), fresh);
    assert.deepEqual(temps(dir), []);
    assert.ok(existsSync(path.join(dir, "m.onnx")));
  })();
}));
