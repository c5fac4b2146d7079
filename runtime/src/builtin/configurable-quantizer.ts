import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import type { GraphModule } from "../model.js";
import { Quantizer, type ReportsUnmatchedSelectors, type UnmatchedSelector } from "../quantizer/quantizer.js";
import { annotationOf } from "../quantizer/annotation.js";
import { closestNames } from "../quantizer/options.js";
import { captureSite } from "../quantizer/source-site.js";
import type { SourceLocation } from "../source-location.js";
import { claim, isAnnotated } from "./annotate.js";
import type { QuantizationConfig } from "./config.js";
import { moduleTypeOf } from "./module-type.js";

/** A config, or null to leave the matching nodes float. */
export type ConfigOrSkip = QuantizationConfig | null;

/** A config given for a name, and the line that gave it. */
interface Selected {
  config: ConfigOrSkip;
  site: SourceLocation | undefined;
}

/** Every module path of the graph and each of its dotted prefixes ("layer1.0.conv1" → "layer1", "layer1.0", …). */
function modulePaths(graph: Graph): Set<string> {
  const paths = new Set<string>();
  for (const node of graph.calls()) {
    for (const frame of node.meta.moduleStack ?? []) {
      const parts = frame.path.split(".");
      for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join("."));
    }
  }
  paths.delete("");
  return paths;
}

/**
 * PT2E's configuration scheme: a global config, per op type, per (recovered) module type and per module name, with
 * priority module name > module type > op type > global; the first pattern to annotate a node owns it.
 * Subclasses say which patterns they annotate.
 */
export abstract class ConfigurableQuantizer extends Quantizer implements ReportsUnmatchedSelectors {
  #global: ConfigOrSkip = null;
  readonly #opTypes = new Map<string, Selected>();
  readonly #moduleTypes = new Map<string, Selected>();
  readonly #moduleNames = new Map<string, Selected>();
  readonly unmatchedSelectors: UnmatchedSelector[] = [];

  setGlobal(config: ConfigOrSkip): this {
    this.#global = config;
    return this;
  }

  setOperatorType(opType: string, config: ConfigOrSkip): this {
    this.#opTypes.set(opType, { config, site: captureSite() });
    return this;
  }

  /** A torch.nn class name as recovered from the exported operator ("Conv2d", "Linear", "ReLU6", …). */
  setModuleType(moduleType: string, config: ConfigOrSkip): this {
    this.#moduleTypes.set(moduleType, { config, site: captureSite() });
    return this;
  }

  /** A module path ("layer1.0.conv1") or a prefix of one ("layer4"): every node inside it. */
  setModuleName(moduleName: string, config: ConfigOrSkip): this {
    this.#moduleNames.set(moduleName, { config, site: captureSite() });
    return this;
  }

  /** Annotate the patterns this backend supports among the nodes `accept` lets through. */
  protected abstract annotatePatterns(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void;

  /** After all configs: ops that keep their input's qparams follow their annotated inputs. */
  protected abstract propagate(graph: Graph): void;

  annotate(model: GraphModule): GraphModule {
    const graph = model.graph;
    const inModule = (node: Node, name: string) => (node.meta.moduleStack ?? []).some((f) => f.path === name || f.path.startsWith(`${name}.`));
    type Pass = Selected & { key: string; method: string; matches: (n: Node) => boolean };
    const calls = [...graph.calls()];
    const specific: Pass[] = [
      ...[...this.#moduleNames].map(([key, s]) => ({ ...s, key, method: "setModuleName", matches: (n: Node) => inModule(n, key) })),
      ...[...this.#moduleTypes].map(([key, s]) => ({ ...s, key, method: "setModuleType", matches: (n: Node) => moduleTypeOf(n) === key })),
      ...[...this.#opTypes].map(([key, s]) => ({ ...s, key, method: "setOperatorType", matches: (n: Node) => n.opType === key })),
    ];
    this.unmatchedSelectors.length = 0;
    for (const { config, site, key, method, matches } of specific) {
      const rule = `${method}(${JSON.stringify(key)}, ${config ? "…" : "null"})`;
      // Module paths belong to one model, so one that matches nothing is a misspelling; module and op types are
      // general (a backend's config names Linear for a CNN too) and matching nothing is normal for them.
      if (method === "setModuleName" && !calls.some(matches)) {
        this.unmatchedSelectors.push({ call: rule, kind: "module path", name: key, site, meant: closestNames(key, modulePaths(graph)) });
      }
      const accept = (n: Node) => matches(n) && !isAnnotated(n);
      // A null config keeps those nodes float: claiming them stops the global config from taking them.
      if (config) this.annotatePatterns(graph, config, accept);
      else for (const n of graph.calls()) if (accept(n)) claim(n);
      this.#nameRules(graph, rule);
    }
    if (this.#global) this.annotatePatterns(graph, this.#global, (n) => !isAnnotated(n));
    this.#nameRules(graph, "the global config");
    this.propagate(graph);
    this.#nameRules(graph, "shares its input's qparams");
    return model;
  }

  /** Names the rule behind every annotation the last pass made, for tools to show where there is no user line. */
  #nameRules(graph: Graph, rule: string): void {
    for (const node of graph.calls()) {
      const annotation = annotationOf(node);
      if (annotation && annotation.rule === undefined) annotation.rule = `${this.constructor.name}: ${rule}, ${node.opType}`;
    }
  }
}
