import type { Model } from "../model.js";
import { createSession, type SessionOptions } from "../session/create-session.js";
import type { Sample } from "../data/source.js";
import { QkitError } from "../errors.js";

export interface AccuracyResult {
  correct: number;
  total: number;
  accuracy: number;
}

/**
 * Top-1 accuracy: the arg-max of the model's first output per item against integer labels, in data order. Runs a float
 * model or a QDQ model alike (the latter as its reference execution).
 */
export async function evaluateAccuracy(
  model: Model,
  data: AsyncIterable<Sample> | Iterable<Sample>,
  labels: ArrayLike<number>,
  options: { session?: SessionOptions; onProgress?: (done: number) => void } = {},
): Promise<AccuracyResult> {
  const session = await createSession(model, options.session);
  let correct = 0;
  let total = 0;
  try {
    for await (const batch of data) {
      const outputs = await session.run(batch);
      const logits = outputs[session.outputNames[0]!]!;
      const [n, classes] = [logits.dims[0]!, logits.size / logits.dims[0]!];
      const values = logits.data as Float32Array;
      for (let i = 0; i < n; i++, total++) {
        if (total >= labels.length) throw new QkitError("bad-data", `there are more inputs than labels (${labels.length})`);
        let best = 0;
        for (let c = 1; c < classes; c++) if (values[i * classes + c]! > values[i * classes + best]!) best = c;
        if (best === labels[total]) correct++;
      }
      options.onProgress?.(total);
    }
  } finally {
    await session.release();
  }
  return { correct, total, accuracy: total ? correct / total : 0 };
}
