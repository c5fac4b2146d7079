// `npm run quickstart`: the whole flow on the Fashion-MNIST example. Inspect the model, check the tutorial quantizer,
// quantize (check → prepare → calibrate on 512 shipped images → convert → export), then compare fp32 and int8
// accuracy: on the full 10k test set when Debian's dataset-fashion-mnist is installed, on the shipped 1000 otherwise.
// Each step is the qkit CLI, exactly as a user would type it; the last line is machine-readable.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import * as path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const example = path.join("examples", "fashion-mnist");
const model = path.join("examples", "fmnist_cnn_op13.onnx");
const quantizer = path.join("examples", "fashion-mnist", "tutorial-quantizer.ts");
const out = path.join(example, "out", "fmnist_cnn.int8.onnx");
const normalize = ["--mean", "0.2860", "--std", "0.3530"];
const debian = "/usr/share/datasets/fashion-mnist";
const full = existsSync(path.join(debian, "t10k-images-idx3-ubyte.gz"));
const testImages = full ? path.join(debian, "t10k-images-idx3-ubyte.gz") : path.join(example, "test-images-idx3-ubyte.gz");
const testLabels = full ? path.join(debian, "t10k-labels-idx1-ubyte.gz") : path.join(example, "test-labels-idx1-ubyte.gz");

function qkit(...args) {
  process.stdout.write(`\n$ qkit ${args.join(" ")}\n`);
  const result = spawnSync(process.execPath, [path.join(root, "runtime", "bin", "qkit.js"), ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(result.stdout);
  if (result.status !== 0) process.exit(result.status ?? 1);
  return result.stdout;
}

mkdirSync(path.join(root, example, "out"), { recursive: true });
qkit("inspect", model);
qkit("check", "--model", model, "--quantizer", quantizer);
qkit("quantize", "--model", model, "--quantizer", quantizer, "--data", path.join(example, "calibration-images-idx3-ubyte.gz"), ...normalize, "--out", out);
const accuracy = (m) => {
  const text = qkit("eval", "--model", m, "--data", testImages, "--labels", testLabels, ...normalize, "--batch-size", "100");
  const match = /accuracy: ([\d.]+) on (\d+) items/.exec(text);
  return { value: match[1], count: match[2] };
};
const fp32 = accuracy(model);
const int8 = accuracy(out);
console.log(`\naccuracy: fp32 ${fp32.value} int8 ${int8.value} on ${int8.count} images`);
