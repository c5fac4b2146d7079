import type { GraphModelNode } from "qkit-language-server/protocol";

/**
 * The module tree recovered from the exporter's node names, and what is visible of it: a collapsed module is one
 * box, an expanded one a frame around its children. Pure data, so a 1,000-node model is folded before anything is
 * laid out or drawn.
 */
export interface ModuleInfo {
  path: string;
  /** The last segment, as the exporter wrote it ("conv1", "layer1.0"). */
  label: string;
  parent: string | undefined;
  /** Indices of every node inside, at any depth. */
  nodes: number[];
}

/** Modules with one node fold to nothing: the node stands for itself. */
const foldable = (m: ModuleInfo) => m.nodes.length > 1;

/** A flat graph this large (no module names) is cut into runs of consecutive nodes that fold like modules. */
const FLAT_LIMIT = 150;
const RUN = 40;

export function moduleTree(nodes: readonly GraphModelNode[]): Map<string, ModuleInfo> {
  const modules = new Map<string, ModuleInfo>();
  const add = (path: string, label: string, parent: string | undefined, node: number) => {
    let m = modules.get(path);
    if (!m) modules.set(path, (m = { path, label, parent, nodes: [] }));
    m.nodes.push(node);
  };
  nodes.forEach((n, i) => n.modules.forEach((path, depth) => add(path, labelOf(path, n.modules[depth - 1]), n.modules[depth - 1], i)));
  if (modules.size === 0 && nodes.length > FLAT_LIMIT) {
    for (let i = 0; i < nodes.length; i++) {
      const start = Math.floor(i / RUN) * RUN;
      add(`#${start}`, `nodes ${start + 1}–${Math.min(start + RUN, nodes.length)}`, undefined, i);
    }
  }
  return modules;
}

/** "conv1" under "layer1.0"; a numbered child keeps its parent's name ("layer1.0", as the exporter writes it). */
function labelOf(path: string, parent: string | undefined): string {
  if (!parent || !path.startsWith(`${parent}.`)) return path;
  const rest = path.slice(parent.length + 1);
  return /^\d+$/.test(rest) ? `${parent.split(".").pop()}.${rest}` : rest;
}

/** The modules a node sits in, outermost first (the synthetic runs of a flat graph included). */
export function modulesOf(node: number, nodes: readonly GraphModelNode[], modules: Map<string, ModuleInfo>): string[] {
  const own = nodes[node]!.modules;
  if (own.length > 0) return own;
  const run = `#${Math.floor(node / RUN) * RUN}`;
  return modules.has(run) ? [run] : [];
}

export interface VisibleUnit {
  /** A node's index as text, or "m:" and a module path. */
  id: string;
  kind: "node" | "module";
  /** Node indices it stands for. */
  nodes: number[];
  /** The expanded module it is drawn in (undefined: the top level). */
  frame: string | undefined;
}

export interface VisibleGraph {
  units: VisibleUnit[];
  /** Expanded modules, each with the expanded module around it. */
  frames: { path: string; parent: string | undefined }[];
  edges: { from: string; to: string }[];
  /** Each node's unit. */
  unitOf: string[];
}

/** What is on screen for a set of expanded modules: a node is shown inside its outermost collapsed module. */
export function visibleGraph(nodes: readonly GraphModelNode[], modules: Map<string, ModuleInfo>, expanded: ReadonlySet<string>): VisibleGraph {
  const units = new Map<string, VisibleUnit>();
  const frames = new Map<string, string | undefined>();
  const unitOf: string[] = [];
  nodes.forEach((_, i) => {
    let frame: string | undefined;
    let id = String(i);
    let kind: VisibleUnit["kind"] = "node";
    for (const path of modulesOf(i, nodes, modules)) {
      const m = modules.get(path)!;
      if (!foldable(m)) continue;
      if (!expanded.has(path)) {
        id = `m:${path}`;
        kind = "module";
        break;
      }
      if (!frames.has(path)) frames.set(path, frame);
      frame = path;
    }
    let unit = units.get(id);
    if (!unit) units.set(id, (unit = { id, kind, nodes: [], frame }));
    unit.nodes.push(i);
    unitOf.push(id);
  });
  const edges = new Map<string, { from: string; to: string }>();
  nodes.forEach((n, i) => {
    for (const p of n.inputs) {
      const from = unitOf[p]!;
      const to = unitOf[i]!;
      if (from !== to) edges.set(`${from}\u0000${to}`, { from, to });
    }
  });
  return { units: [...units.values()], frames: [...frames].map(([path, parent]) => ({ path, parent })), edges: [...edges.values()], unitOf };
}

/** The modules to expand so that a node is drawn as itself. */
export function pathTo(node: number, nodes: readonly GraphModelNode[], modules: Map<string, ModuleInfo>): string[] {
  return modulesOf(node, nodes, modules).filter((p) => foldable(modules.get(p)!));
}
