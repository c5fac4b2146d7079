import type { ModuleFrame } from "./node.js";

/**
 * The module hierarchy encoded in exporter node names. torch.onnx names a node after the scopes it was called in:
 * "/layer1/layer1.0/conv1/Conv" is the Conv inside module layer1.0.conv1. A segment either repeats its parent's path
 * ("layer1.0" under "layer1") or is relative to it ("conv1" under "layer1.0").
 */
export function moduleStackFromName(nodeName: string): ModuleFrame[] {
  if (!nodeName.startsWith("/")) return [];
  const segments = nodeName.split("/").filter((s) => s.length > 0).slice(0, -1);
  const stack: ModuleFrame[] = [];
  let parent = "";
  for (const name of segments) {
    const path = parent === "" || name.startsWith(`${parent}.`) ? name : `${parent}.${name}`;
    stack.push({ path, name });
    parent = path;
  }
  return stack;
}
