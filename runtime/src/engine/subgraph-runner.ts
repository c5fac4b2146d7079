import { onnx } from "../onnx/proto.js";
import { Model } from "../model.js";
import { graphFromOnnx } from "../graph/from-onnx.js";
import { normalizeGraph } from "../graph/normalize.js";
import { outerNames } from "../graph/subgraph-scope.js";
import type { Kernels } from "./kernels/kernels.js";
import type { RtValue, Subgraph, ValueMeta } from "./op.js";
import type { Plan, PlanShared } from "./plan.js";
import { createPlanShared } from "./plan-shared.js";
import { PlanCache } from "./plan-cache.js";
import type { TensorData } from "./tensor.js";

/** Plans kept per subgraph (one per signature of its inputs). */
const MAX_PLANS = 8;

/**
 * A subgraph as a graph of its own: the names it reads from enclosing scopes become inputs beside its declared ones,
 * and it is planned per input signature like a session's graph, on the session's kernels. `makePlan` is Plan's
 * constructor, handed in by the plan that owns the node (so this module does not import it).
 */
export class SubgraphRunner implements Subgraph {
  readonly inputNames: string[];
  readonly outerNames: string[];
  readonly #shared: PlanShared;
  readonly #outputs: string[];
  readonly #plans = new PlanCache<Plan>(MAX_PLANS);

  /**
   * `outerConstants`: the enclosing graphs' initializers the subgraph reads, by name. They become its own
   * initializers, so its plan packs a branch's or a loop body's weights once, as constants, instead of taking them as
   * inputs on every run.
   */
  constructor(proto: onnx.IGraphProto, kernels: Kernels, opset: number, owned: Float32Array[],
    private readonly makePlan: (shared: PlanShared, inputs: ReadonlyMap<string, ValueMeta>) => Plan,
    outerConstants: ReadonlyMap<string, onnx.ITensorProto> = new Map()) {
    this.inputNames = (proto.input ?? []).map((v) => v.name ?? "");
    const free = outerNames(proto);
    this.outerNames = free.filter((name) => !outerConstants.has(name));
    const constants = free.filter((name) => outerConstants.has(name)).map((name) => ({ ...outerConstants.get(name)!, name }));
    const own = new onnx.GraphProto({
      ...(proto as onnx.GraphProto),
      input: [...(proto.input ?? []), ...this.outerNames.map((name) => ({ name }))],
      initializer: [...(proto.initializer ?? []), ...constants],
    });
    const model = new Model(graphFromOnnx(own));
    model.opsetImports = [{ domain: "", version: opset }];
    normalizeGraph(model.graph);
    this.#outputs = (proto.output ?? []).map((v) => v.name ?? "");
    this.#shared = createPlanShared(model, kernels, owned);
  }

  run(values: ReadonlyMap<string, RtValue>): RtValue[] {
    const metas = new Map<string, ValueMeta>();
    const feeds: Record<string, { readonly data: TensorData }> = {};
    let key = "";
    for (const name of [...this.inputNames, ...this.outerNames]) {
      const v = values.get(name);
      if (!v) throw new Error(`the subgraph reads '${name}', which has no value here`);
      metas.set(name, { dtype: v.dtype, dims: v.dims });
      feeds[name] = v;
      key += `${name}:${v.dtype}[${v.dims.join(",")}] `;
    }
    const plan = this.#plans.get(key, () => this.makePlan(this.#shared, metas));
    plan.run(feeds);
    // The plan's buffers hold the next run's values: the caller gets copies.
    const byName = new Map(plan.outputs);
    return this.#outputs.map((name) => {
      const v = byName.get(name)!;
      return { dtype: v.dtype, dims: [...v.dims], data: (Array.isArray(v.data) ? [...v.data] : v.data.slice()) as TensorData };
    });
  }
}
