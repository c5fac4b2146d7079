import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.js";

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** node:util parseArgs, with its errors turned into UsageErrors (one line, no stack). */
export function parseCommandArgs(argv: string[], options: NonNullable<ParseArgsConfig["options"]>, allowPositionals = true): ParsedArgs {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
}

/** A string option's value (the last one when repeated). */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === "string" ? last : undefined;
}

/** Every value of a repeatable string option. */
export function stringOptions(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === "string");
}
