#!/usr/bin/env node
// The package entry: loading it hands the author API to the user-module loader (quantizers and data modules import it).
import "../index.js";
import { QkitError } from "../errors.js";
import { UsageError, type Command } from "./command.js";
import { inspectCommand } from "./inspect-command.js";
import { checkCommand } from "./check-command.js";
import { quantizeCommand } from "./quantize-command.js";
import { calibrateCommand } from "./calibrate-command.js";
import { mergeCalibrationCommand } from "./merge-calibration-command.js";
import { evalCommand } from "./eval-command.js";
import { runCommand } from "./run-command.js";
import { debugCommand } from "./debug-command.js";
import { initCommand } from "./init-command.js";

const COMMANDS: Command[] = [initCommand, inspectCommand, checkCommand, quantizeCommand, calibrateCommand, mergeCalibrationCommand, evalCommand, debugCommand, runCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: qkit <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'qkit <command> --help' for a command's options.",
  ].join("\n");
}

/** Runs the CLI; returns the exit code. Expected failures print one line; only a bug in qkit prints more. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  if (name === "--version") {
    process.stdout.write(`${require("../../../package.json").version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`qkit: unknown command '${name}'; run 'qkit --help' for the list\n`);
    return 2;
  }
  // A quantizer or data module awaiting a promise that never settles would let the process end quietly, with
  // status 0 and nothing written: the loop running dry before the command ends is an error.
  let finished = false;
  const stalled = () => {
    if (finished) return;
    process.stderr.write(`qkit ${name}: stopped: qkit was left waiting on a promise that never settles (a data module or quantizer that never resolves); nothing was written\n`);
    process.exitCode = 2;
  };
  process.once("beforeExit", stalled);
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`qkit ${name}: ${error.message}; run 'qkit ${name} --help'\n`);
      return 2;
    }
    if (error instanceof QkitError) {
      process.stderr.write(`qkit ${name}: ${error.message}\n`);
      return 2;
    }
    const detail = process.env.QKIT_DEBUG ? `\n${(error as Error).stack}` : " (set QKIT_DEBUG=1 for details)";
    process.stderr.write(`qkit ${name}: internal error: ${(error as Error).message ?? String(error)}${detail}\n`);
    return 3;
  } finally {
    finished = true;
    process.off("beforeExit", stalled);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
