import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { Tensor } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { EXAMPLES } from "./helpers/data.js";

/** Debian's dataset-fashion-mnist, or the folder in QKIT_FASHION_MNIST. */
const DATA = process.env.QKIT_FASHION_MNIST ?? "/usr/share/datasets/fashion-mnist";
const IMAGES = path.join(DATA, "t10k-images-idx3-ubyte.gz");
const LABELS = path.join(DATA, "t10k-labels-idx1-ubyte.gz");

/** A big-endian IDX file: magic (0x0803 images, 0x0801 labels), dimensions, then bytes. */
function idx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  const bytes = gunzipSync(readFileSync(file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(view.getUint32(0), magic, `${file} is not an IDX file of the expected kind`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * rank) };
}

test("the Fashion-MNIST CNN scores 0.9183 on the 10k test images", {
  skip: existsSync(IMAGES) && existsSync(LABELS) ? false : `needs the Fashion-MNIST test set (Debian package dataset-fashion-mnist, or QKIT_FASHION_MNIST)`,
  timeout: 5 * 60 * 1000,
}, async () => {
  const images = idx(IMAGES, 0x0803);
  const labels = idx(LABELS, 0x0801);
  const count = images.dims[0]!;
  assert.equal(count, 10000);
  const session = await createSession(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"), { threads: 2 });
  let correct = 0;
  try {
    const batch = 500;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      // The normalization the model was trained with: (pixel/255 - 0.2860) / 0.3530.
      const x = Float32Array.from(images.data.subarray(start * 784, (start + n) * 784), (p) => (p / 255 - 0.286) / 0.353);
      const logits = (await session.run({ input: new Tensor("float32", x, [n, 1, 28, 28]) })).logits!.data as Float32Array;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
        if (best === labels.data[start + i]) correct++;
      }
    }
  } finally {
    await session.release();
  }
  assert.equal(correct / count, 0.9183);
});
