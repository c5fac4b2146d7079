/** A CLI subcommand. `run` returns the exit code: 0 ok, 1 the command found problems, 2 bad input. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Thrown for wrong command-line arguments; printed as one line with a pointer to --help. */
export class UsageError extends Error {}
