import * as path from "node:path";
import { readFileSync } from "node:fs";
import { CONFIG_FILE_NAME, parseQkitConfig, resolveTargets, type ConfigProblem, type QkitConfig, type ResolvedTarget } from "qkit/tooling";

export interface ConfigState {
  file: string;
  /** The text read (the editor's when qkit.json is open); undefined when there is no file. */
  text: string | undefined;
  config: QkitConfig | undefined;
  problems: ConfigProblem[];
  targets: ResolvedTarget[];
}

/** The workspace's qkit.json, parsed with the runtime's own reader so the CLI and the editor agree on it. */
export class ConfigStore {
  readonly file: string;
  #state: ConfigState;

  constructor(readonly root: string) {
    this.file = path.join(root, CONFIG_FILE_NAME);
    this.#state = { file: this.file, text: undefined, config: undefined, problems: [], targets: [] };
  }

  get state(): ConfigState {
    return this.#state;
  }

  get targets(): ResolvedTarget[] {
    return this.#state.targets;
  }

  targetFor(file: string): ResolvedTarget | undefined {
    return this.#state.targets.find((t) => t.quantizerPath === file);
  }

  /** Re-read the file (or take the editor's text); returns whether anything changed. */
  reload(openText?: string): boolean {
    let text = openText;
    if (text === undefined) {
      try {
        text = readFileSync(this.file, "utf8");
      } catch {
        text = undefined;
      }
    }
    if (text === this.#state.text && this.#state.text !== undefined) return false;
    const { config, problems } = text === undefined ? { config: undefined, problems: [] } : parseQkitConfig(text);
    this.#state = { file: this.file, text, config, problems, targets: config ? resolveTargets(config, this.root) : [] };
    return true;
  }
}
