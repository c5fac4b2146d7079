import ELK, { type ElkNode } from "elkjs/lib/elk.bundled.js";
import type { VisibleGraph } from "./hierarchy";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  /** Absolute boxes of units (by unit id) and of frames (by "f:" and module path). */
  boxes: Map<string, Box>;
  width: number;
  height: number;
}

export const FRAME_HEADER = 24;

/** Layered, top to bottom, as Netron and Model Explorer draw; expanded modules are laid out with their contents. */
const OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
  "elk.layered.spacing.nodeNodeBetweenLayers": "28",
  "elk.spacing.nodeNode": "20",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.edgeRouting": "POLYLINE",
};

const elk = new ELK();

/** Lays out what is visible; `size` gives each unit's box before layout. */
export async function layout(graph: VisibleGraph, size: (unitId: string) => { width: number; height: number }): Promise<Layout> {
  const root: ElkNode = { id: "root", layoutOptions: OPTIONS, children: [], edges: [] };
  const frames = new Map<string, ElkNode>();
  const frameNode = (path: string | undefined): ElkNode => {
    if (path === undefined) return root;
    let f = frames.get(path);
    if (!f) {
      f = { id: `f:${path}`, children: [], layoutOptions: { "elk.padding": `[top=${FRAME_HEADER + 8},left=12,bottom=12,right=12]` } };
      frames.set(path, f);
      const parent = graph.frames.find((x) => x.path === path)?.parent;
      frameNode(parent).children!.push(f);
    }
    return f;
  };
  for (const frame of graph.frames) frameNode(frame.path);
  for (const unit of graph.units) frameNode(unit.frame).children!.push({ id: unit.id, ...size(unit.id) });
  root.edges = graph.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] }));
  const laid = await elk.layout(root);
  const boxes = new Map<string, Box>();
  const walk = (node: ElkNode, dx: number, dy: number) => {
    for (const child of node.children ?? []) {
      const x = dx + (child.x ?? 0);
      const y = dy + (child.y ?? 0);
      boxes.set(child.id, { x, y, width: child.width ?? 0, height: child.height ?? 0 });
      walk(child, x, y);
    }
  };
  walk(laid, 0, 0);
  return { boxes, width: laid.width ?? 0, height: laid.height ?? 0 };
}
