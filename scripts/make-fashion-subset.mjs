// Writes the Fashion-MNIST subset qkit ships in examples/fashion-mnist (the data set is MIT-licensed): the first 512
// training images for calibration and the first 1000 test images with labels, as gzipped IDX files, from Debian's
// dataset-fashion-mnist package (or the folder given as the first argument).
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import * as path from "node:path";

const source = process.argv[2] ?? "/usr/share/datasets/fashion-mnist";
const target = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "examples", "fashion-mnist");

function subset(file, count, out) {
  const raw = gunzipSync(readFileSync(path.join(source, file)));
  const rank = raw[3];
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  const perItem = dims.slice(1).reduce((a, b) => a * b, 1);
  const header = Buffer.from(raw.subarray(0, 4 + 4 * rank));
  header.writeUInt32BE(count, 4);
  const body = raw.subarray(4 + 4 * rank, 4 + 4 * rank + count * perItem);
  writeFileSync(path.join(target, out), gzipSync(Buffer.concat([header, body]), { level: 9 }));
  console.log(`${out}: ${count} of ${dims[0]}`);
}

subset("train-images-idx3-ubyte.gz", 512, "calibration-images-idx3-ubyte.gz");
subset("t10k-images-idx3-ubyte.gz", 1000, "test-images-idx3-ubyte.gz");
subset("t10k-labels-idx1-ubyte.gz", 1000, "test-labels-idx1-ubyte.gz");
