import { promises as fs } from "node:fs";
import * as path from "node:path";
import { loadModel } from "../model-io/load-model.js";
import { onnx } from "../onnx/proto.js";
import { tensorDataType, tensorDims, tensorValues } from "../onnx/tensor-data.js";
import { QkitError } from "../errors.js";
import { Tensor, type TensorType, type TensorData } from "../engine/index.js";
import { createSession } from "../session/create-session.js";
import { encodeNpy, parseNpy } from "../data/npy.js";
import { parseNpz } from "../data/npz.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption, stringOptions } from "./args.js";
import { table } from "./format.js";
import { formatProfile } from "./profile-report.js";
import { chromeTrace, summarizeProfile } from "../engine/profile.js";
import { writeFileAtomic } from "../onnx/atomic-write.js";

const usage = `Usage: qkit run MODEL --input NAME=FILE [--input NAME=FILE ...] [--output-dir DIR] [--threads N]
                [--profile [--profile-out TRACE.json] [--profile-runs N] [--profile-top N]]

Run an ONNX model on qkit's engine (fp32 WebAssembly SIMD kernels) and write every output as DIR/NAME.npy.

Inputs are .npy files, .npz archives (NAME=FILE.npz picks the array called NAME, or the only one; a bare FILE.npz
feeds every model input from the array of the same name) or serialized ONNX TensorProto .pb files. With one model
input, --input FILE is enough.

Options:
  --input NAME=FILE   a model input (repeat for several)
  --output-dir DIR    where the .npy outputs go (default: the current folder)
  --threads N         kernel threads (default 1)
  --profile           time every node: after one warm-up run, --profile-runs runs are profiled and the time per
                      operator type and per node is printed (mean per run, share of all node time)
  --profile-out FILE  also write the timings as a Chrome trace-event JSON file (Perfetto, chrome://tracing)
  --profile-runs N    profiled runs (default 10)
  --profile-top N     nodes listed, slowest first (default 20)
  -h, --help          show this help`;

class InputFileError extends QkitError {
  constructor(message: string) {
    super("bad-input-file", message);
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(`${file}: ${code === "ENOENT" ? "no such file" : `cannot be read (${code})`}`);
  }
}

/** The tensors named by the --input arguments, by model input name. */
async function readInputs(specs: string[], inputNames: readonly string[]): Promise<Record<string, Tensor>> {
  const feeds: Record<string, Tensor> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    const name = eq > 0 ? spec.slice(0, eq) : undefined;
    const file = eq > 0 ? spec.slice(eq + 1) : spec;
    const ext = path.extname(file).toLowerCase();
    const bytes = await readBytes(file);
    if (ext === ".npz") {
      const arrays = parseNpz(bytes, file);
      if (!name) {
        for (const [arrayName, array] of arrays) {
          if (!inputNames.includes(arrayName)) throw new InputFileError(`${file}: array '${arrayName}' is not a model input (inputs: ${inputNames.join(", ")})`);
          feeds[arrayName] = array;
        }
        continue;
      }
      const array = arrays.get(name) ?? (arrays.size === 1 ? [...arrays.values()][0] : undefined);
      if (!array) throw new InputFileError(`${file}: no array named '${name}' (it has ${[...arrays.keys()].join(", ")})`);
      feeds[name] = array;
      continue;
    }
    const target = name ?? (inputNames.length === 1 ? inputNames[0]! : undefined);
    if (!target) throw new UsageError(`the model has ${inputNames.length} inputs (${inputNames.join(", ")}); write --input NAME=FILE`);
    if (ext === ".npy") {
      feeds[target] = parseNpy(bytes, file);
    } else if (ext === ".pb") {
      let proto: onnx.TensorProto;
      try {
        proto = onnx.TensorProto.decode(bytes);
      } catch {
        throw new InputFileError(`${file}: is not a serialized ONNX TensorProto`);
      }
      feeds[target] = new Tensor(tensorDataType(proto) as TensorType, tensorValues(proto) as TensorData, tensorDims(proto));
    } else {
      throw new UsageError(`${file}: inputs must be .npy, .npz or .pb files`);
    }
  }
  return feeds;
}

function positiveInteger(args: Parameters<typeof stringOption>[0], name: string, fallback: number): number {
  const text = stringOption(args, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${text}'`);
  return n;
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_") || "output";
}

export const runCommand: Command = {
  name: "run",
  summary: "run a model on qkit's engine; inputs from .npy/.npz/.pb, outputs to .npy",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, {
      input: { type: "string", multiple: true, short: "i" },
      "output-dir": { type: "string", short: "o" },
      threads: { type: "string" },
      profile: { type: "boolean" },
      "profile-out": { type: "string" },
      "profile-runs": { type: "string" },
      "profile-top": { type: "string" },
    });
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError(args.positionals.length === 0 ? "run needs a MODEL path" : `run takes one MODEL, got ${args.positionals.length}`);
    const specs = stringOptions(args, "input");
    if (specs.length === 0) throw new UsageError("run needs at least one --input NAME=FILE");
    const threadsText = stringOption(args, "threads") ?? "1";
    const threads = Number(threadsText);
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads must be a positive integer, got '${threadsText}'`);
    const outDir = stringOption(args, "output-dir") ?? ".";
    const traceFile = stringOption(args, "profile-out");
    const profile = args.values.profile === true || traceFile !== undefined;
    const profileRuns = positiveInteger(args, "profile-runs", 10);
    const profileTop = positiveInteger(args, "profile-top", 20);

    const model = await loadModel(args.positionals[0]!);
    const session = await createSession(model, { threads });
    try {
      const feeds = await readInputs(specs, session.inputNames);
      let outputs = await session.run(feeds);
      if (profile) {
        // The first run built the plan and packed the weights: profiled runs show the steady state.
        for (let i = 0; i < profileRuns; i++) outputs = await session.run(feeds, { profile: true });
        const timings = session.endProfiling();
        process.stdout.write(`${formatProfile(summarizeProfile(timings), profileTop)}\n\n`);
        if (traceFile) {
          await writeFileAtomic(traceFile, [Buffer.from(JSON.stringify(chromeTrace(timings, path.basename(args.positionals[0]!))))]);
          process.stdout.write(`trace: ${traceFile} (open in Perfetto or chrome://tracing)\n\n`);
        }
      }
      await fs.mkdir(outDir, { recursive: true });
      // Every output is encoded before any is written, and each file is replaced atomically: a failed run leaves
      // the folder as it was, never a truncated .npy beside older ones.
      const encoded = session.outputNames.map((name) => {
        const t = outputs[name]!;
        if (Array.isArray(t.data)) throw new QkitError("bad-output", `output '${name}' holds strings, which .npy files here cannot`);
        return { name, t, file: path.join(outDir, `${safeFileName(name)}.npy`), bytes: encodeNpy(t) };
      });
      const rows: string[][] = [];
      for (const { name, t, file, bytes } of encoded) {
        await writeFileAtomic(file, [bytes]);
        rows.push([name, t.type, `[${t.dims.join(", ")}]`, file]);
      }
      process.stdout.write(`${table(rows)}\n`);
      return 0;
    } finally {
      await session.release();
    }
  },
};
