import type { Graph } from "../graph/graph.js";
import type { Node } from "../graph/node.js";
import { annotationOf, type QuantizationAnnotation } from "./annotation.js";
import { isEdge, slotKey, type EdgeOrNode } from "./edge-or-node.js";
import { isSpec, type AnySpec, type RangedSpec } from "./specs.js";

/** One place a spec was attached: an input edge (from inputQspecMap) or a node's output (outputQspec). */
export interface Slot {
  key: string;
  edgeOrNode: EdgeOrNode;
  spec: AnySpec;
  annotation: QuantizationAnnotation;
  /** The annotated node (the consumer, for an edge). */
  owner: Node;
}

/** Why an EdgeOrNode named by a spec is not something in this graph, or undefined when it is. */
export function slotProblem(graph: Graph, x: EdgeOrNode): string | undefined {
  if (isEdge(x)) {
    if (x.length !== 2) return `an edge is a pair [producer, consumer], this one has ${x.length} elements`;
    const [producer, consumer] = x;
    for (const n of [producer, consumer]) {
      if (!n || typeof n !== "object" || !("graph" in n)) return "an edge must be made of two graph nodes";
      if (!graph.has(n)) return `${n.name} is not a node of this graph`;
    }
    if (!consumer.args.includes(producer)) return `${consumer.name} does not take ${producer.name} as an input, so there is no such edge`;
    return undefined;
  }
  if (!x || typeof x !== "object" || !("graph" in x)) return "it is not a graph node";
  return graph.has(x) ? undefined : `${x.name} is not a node of this graph`;
}

/** Every spec attached anywhere in the graph, keyed by slot. Keys that name no real edge are left out (see slotProblem). */
export function collectSlots(graph: Graph): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  for (const node of graph.nodes) {
    const annotation = annotationOf(node);
    if (!annotation) continue;
    for (const [input, spec] of annotation.inputQspecMap) {
      if (!isSpec(spec) || !node.args.includes(input)) continue;
      const edge = [input, node] as const;
      slots.set(slotKey(edge), { key: slotKey(edge), edgeOrNode: edge, spec, annotation, owner: node });
    }
    if (isSpec(annotation.outputQspec)) {
      slots.set(slotKey(node), { key: slotKey(node), edgeOrNode: node, spec: annotation.outputQspec, annotation, owner: node });
    }
  }
  return slots;
}

/** The attributes PT2E compares before letting two specs share one observer implicitly. */
export const IMPLICIT_SHARING_FIELDS = ["dtype", "isDynamic", "quantMin", "quantMax", "qscheme", "chAxis", "scale", "zeroPoint"] as const;

export function differingFields(a: RangedSpec, b: RangedSpec): string[] {
  const field = (s: RangedSpec, f: string) => (s as unknown as Record<string, unknown>)[f];
  return IMPLICIT_SHARING_FIELDS.filter((f) => field(a, f) !== field(b, f));
}

export interface SharingResolution {
  slots: Map<string, Slot>;
  /** The group a slot belongs to (a representative key). */
  groupOf(key: string): string;
  /** The spec that defines a slot's qparams: the first non-shared spec of its group, in graph order. */
  definingSpec(key: string): RangedSpec | undefined;
  /** Members of each group, by representative. */
  groups: Map<string, Slot[]>;
  /** Shared specs that point back to themselves through a chain of shared specs: each cycle's members, in order. */
  cycles: Slot[][];
  /** Shared specs whose target carries no spec. */
  dangling: Slot[];
  /** Shared specs whose target is not an edge or node of the graph, with the reason. */
  invalidTargets: { slot: Slot; reason: string }[];
}

/**
 * Resolve sharing with union-find: explicit SharedQuantizationSpecs, then PT2E's implicit sharing (an input edge joins
 * its producer's output and its sibling edges when their defining specs agree on IMPLICIT_SHARING_FIELDS and the
 * consumer allows it). The result does not depend on the order the annotations were made in: agreement is an
 * equivalence, and each group's defining spec is chosen by graph order.
 */
export function resolveSharing(graph: Graph, slots: Map<string, Slot> = collectSlots(graph)): SharingResolution {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    let walk = k;
    while (walk !== root) {
      const next = parent.get(walk)!;
      parent.set(walk, root);
      walk = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const key of slots.keys()) parent.set(key, key);

  const invalidTargets: { slot: Slot; reason: string }[] = [];
  const dangling: Slot[] = [];
  const target = new Map<string, string>();
  for (const slot of slots.values()) {
    if (slot.spec.kind !== "shared") continue;
    const problem = slotProblem(graph, slot.spec.edgeOrNode);
    if (problem) {
      invalidTargets.push({ slot, reason: problem });
      continue;
    }
    const key = slotKey(slot.spec.edgeOrNode);
    if (!slots.has(key)) dangling.push(slot);
    else target.set(slot.key, key);
  }

  const cycles = findCycles(slots, target);
  for (const [from, to] of target) union(from, to);

  // The defining spec of a chain of explicit shares, before implicit sharing merges groups.
  const explicitRoot = new Map<string, RangedSpec | undefined>();
  const rootOf = (key: string): RangedSpec | undefined => {
    if (explicitRoot.has(key)) return explicitRoot.get(key);
    const seen = new Set<string>();
    let k: string | undefined = key;
    while (k && !seen.has(k)) {
      seen.add(k);
      const spec: AnySpec | undefined = slots.get(k)?.spec;
      if (!spec) break;
      if (spec.kind !== "shared") {
        explicitRoot.set(key, spec);
        return spec;
      }
      k = target.get(k);
    }
    explicitRoot.set(key, undefined);
    return undefined;
  };

  const position = new Map<Node, number>();
  graph.nodes.forEach((n, i) => position.set(n, i));
  const agree = (a: RangedSpec | undefined, b: RangedSpec | undefined) =>
    !!a && !!b && a.kind !== "derived" && b.kind !== "derived" && differingFields(a, b).length === 0;

  for (const slot of slots.values()) {
    if (!isEdge(slot.edgeOrNode) || !slot.annotation.allowImplicitSharing) continue;
    const [producer] = slot.edgeOrNode;
    const mine = rootOf(slot.key);
    for (const user of producer.users) {
      if (user === slot.owner) continue;
      const sibling = slotKey([producer, user]);
      if (slots.has(sibling) && agree(mine, rootOf(sibling))) union(slot.key, sibling);
    }
    const output = slotKey(producer);
    if (slots.has(output) && agree(mine, rootOf(output))) union(slot.key, output);
  }

  const order = (s: Slot) => {
    const e = s.edgeOrNode;
    return isEdge(e) ? position.get(e[1])! * 2 + 1 + (position.get(e[0])! / 1e9) : position.get(e)! * 2;
  };
  const groups = new Map<string, Slot[]>();
  for (const slot of slots.values()) {
    const g = find(slot.key);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(slot);
  }
  const defining = new Map<string, RangedSpec | undefined>();
  for (const [g, members] of groups) {
    members.sort((a, b) => order(a) - order(b));
    defining.set(g, members.find((m) => m.spec.kind !== "shared")?.spec as RangedSpec | undefined);
  }

  return {
    slots,
    groupOf: (key) => find(key),
    definingSpec: (key) => (slots.has(key) ? defining.get(find(key)) : undefined),
    groups,
    cycles,
    dangling,
    invalidTargets,
  };
}

/** Cycles in the "shares with" pointers (each shared slot points at one target). */
function findCycles(slots: Map<string, Slot>, target: Map<string, string>): Slot[][] {
  const state = new Map<string, "active" | "done">();
  const cycles: Slot[][] = [];
  for (const start of target.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [];
    let k: string | undefined = start;
    while (k && !state.has(k)) {
      state.set(k, "active");
      path.push(k);
      k = target.get(k);
    }
    if (k && state.get(k) === "active") cycles.push(path.slice(path.indexOf(k)).map((key) => slots.get(key)!));
    for (const p of path) state.set(p, "done");
  }
  return cycles;
}
