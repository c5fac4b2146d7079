/**
 * Plans by key (an input signature, the shapes or values after a cut), at most `max`: the least recently used is
 * disposed when another is made. A session, the plans of the rest of a graph after a cut and a subgraph's runner
 * each keep one.
 */
export class PlanCache<P extends { dispose(): void }> {
  readonly #plans = new Map<string, P>();

  constructor(private readonly max: number) {}

  /** The plan for `key`, made by `make` the first time (or again, once it was dropped). */
  get(key: string, make: () => P): P {
    let plan = this.#plans.get(key);
    if (plan) {
      this.#plans.delete(key);
    } else {
      if (this.#plans.size >= this.max) {
        const [oldest, old] = this.#plans.entries().next().value as [string, P];
        old.dispose();
        this.#plans.delete(oldest);
      }
      plan = make();
    }
    this.#plans.set(key, plan);
    return plan;
  }

  /** The plan for `key` if there is one, without making it or counting a use. */
  peek(key: string): P | undefined {
    return this.#plans.get(key);
  }

  clear(): void {
    for (const plan of this.#plans.values()) plan.dispose();
    this.#plans.clear();
  }
}
