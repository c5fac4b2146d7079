import { performance } from "node:perf_hooks";
import type { Plan } from "./plan.js";
import type { Profile, ProfileEvent } from "./profile.js";
import type { TensorData } from "./tensor.js";

interface StepInfo {
  node: string;
  opType: string;
  fused: string[];
  inputShapes: (number[] | null)[];
  outputShapes: number[][];
}

/**
 * A session's profiler: runs a plan timing each step and keeps the events until end(). Unprofiled runs never come
 * here, so profiling costs nothing while it is off.
 */
export class Profiler {
  #origin: number | undefined;
  #runs: { startUs: number; durUs: number }[] = [];
  #events: ProfileEvent[] = [];
  readonly #steps = new WeakMap<Plan, StepInfo[]>();

  run(plan: Plan, feeds: Readonly<Record<string, { readonly data: TensorData }>>): void {
    const origin = (this.#origin ??= performance.now());
    const run = this.#runs.length;
    const events = this.#events;
    const us = (ms: number) => (ms - origin) * 1000;
    const start = performance.now();
    plan.runTimed(feeds, {
      now: () => performance.now(),
      // A plan that ends before a data-dependent node hands over to another plan: each has its own steps.
      record: (stepPlan, step, t0, t1) => {
        const s = this.#info(stepPlan)[step]!;
        events.push({ ...s, run, startUs: us(t0), durUs: (t1 - t0) * 1000 });
      },
    });
    this.#runs.push({ startUs: us(start), durUs: (performance.now() - start) * 1000 });
  }

  end(): Profile {
    const profile = { runs: this.#runs, events: this.#events };
    this.#runs = [];
    this.#events = [];
    this.#origin = undefined;
    return profile;
  }

  /** What each step of a plan is, for its events: made once per plan. */
  #info(plan: Plan): StepInfo[] {
    let info = this.#steps.get(plan);
    if (!info) {
      info = plan.steps.map((step, i) => ({
        node: step.node.name || `${step.node.opType}#${i}`,
        opType: step.node.domain ? `${step.node.domain}.${step.node.opType}` : step.node.opType,
        fused: (plan.fusedInto.get(step.node) ?? []).map((n) => n.name || n.opType),
        inputShapes: step.operands.map((slot) => (slot === undefined ? null : plan.slots[slot]!.meta.dims)),
        outputShapes: step.outputs.map((slot) => plan.slots[slot]!.meta.dims),
      }));
      const cut = plan.cutNode;
      // Its shapes differ run by run; the plans after it report the shapes they were made for.
      if (cut) info.push({ node: cut.name || `${cut.opType}#${info.length}`, opType: cut.opType, fused: [], inputShapes: [], outputShapes: [] });
      this.#steps.set(plan, info);
    }
    return info;
  }
}
