import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import type { GraphModule } from "../model.js";
import { Quantizer } from "../quantizer/quantizer.js";
import { annotationOf } from "../quantizer/annotation.js";
import { claim, isAnnotated } from "./annotate.js";
import type { QuantizationConfig } from "./config.js";
import { moduleTypeOf } from "./module-type.js";

/** A config, or null to leave the matching nodes float. */
export type ConfigOrSkip = QuantizationConfig | null;

/**
 * PT2E's configuration scheme: a global config, per op type, per (recovered) module type and per module name, with
 * priority module name > module type > op type > global; the first pattern to annotate a node owns it.
 * Subclasses say which patterns they annotate.
 */
export abstract class ConfigurableQuantizer extends Quantizer {
  #global: ConfigOrSkip = null;
  readonly #opTypes = new Map<string, ConfigOrSkip>();
  readonly #moduleTypes = new Map<string, ConfigOrSkip>();
  readonly #moduleNames = new Map<string, ConfigOrSkip>();

  setGlobal(config: ConfigOrSkip): this {
    this.#global = config;
    return this;
  }

  setOperatorType(opType: string, config: ConfigOrSkip): this {
    this.#opTypes.set(opType, config);
    return this;
  }

  /** A torch.nn class name as recovered from the exported operator ("Conv2d", "Linear", "ReLU6", …). */
  setModuleType(moduleType: string, config: ConfigOrSkip): this {
    this.#moduleTypes.set(moduleType, config);
    return this;
  }

  /** A module path ("layer1.0.conv1") or a prefix of one ("layer4"): every node inside it. */
  setModuleName(moduleName: string, config: ConfigOrSkip): this {
    this.#moduleNames.set(moduleName, config);
    return this;
  }

  /** Annotate the patterns this backend supports among the nodes `accept` lets through. */
  protected abstract annotatePatterns(graph: Graph, config: QuantizationConfig, accept: (node: Node) => boolean): void;

  /** After all configs: ops that keep their input's qparams follow their annotated inputs. */
  protected abstract propagate(graph: Graph): void;

  annotate(model: GraphModule): GraphModule {
    const graph = model.graph;
    const inModule = (node: Node, name: string) => (node.meta.moduleStack ?? []).some((f) => f.path === name || f.path.startsWith(`${name}.`));
    type Pass = { config: ConfigOrSkip; matches: (n: Node) => boolean; rule: string };
    const call = (method: string, key: string, config: ConfigOrSkip) => `${method}(${JSON.stringify(key)}, ${config ? "…" : "null"})`;
    const specific: Pass[] = [
      ...[...this.#moduleNames].map(([name, config]) => ({ config, matches: (n: Node) => inModule(n, name), rule: call("setModuleName", name, config) })),
      ...[...this.#moduleTypes].map(([type, config]) => ({ config, matches: (n: Node) => moduleTypeOf(n) === type, rule: call("setModuleType", type, config) })),
      ...[...this.#opTypes].map(([op, config]) => ({ config, matches: (n: Node) => n.opType === op, rule: call("setOperatorType", op, config) })),
    ];
    for (const { config, matches, rule } of specific) {
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
