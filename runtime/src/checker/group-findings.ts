import type { Finding, RelatedLocation } from "./finding.js";

/** `%name` or `%"quoted name"`, as formatName writes node names into messages. */
const NODE_NAME = /%(?:"(?:[^"\\]|\\.)*"|[A-Za-z0-9_./:\-]+)/g;

/**
 * One mistake made at one line — a helper that builds a bad spec for every conv, an annotation made in a loop — is one
 * finding, not one per node: findings with the same code and location whose messages differ only in the node names
 * they mention are merged into the first, with how many more there are and every node involved.
 */
export function groupBySite(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  const out: (Finding | Finding[])[] = [];
  for (const f of findings) {
    if (!f.location) {
      out.push(f);
      continue;
    }
    const { file, line, column } = f.location;
    const key = JSON.stringify([f.code, file, line, column, f.message.replace(NODE_NAME, "%")]);
    const group = groups.get(key);
    if (group) group.push(f);
    else {
      const fresh = [f];
      groups.set(key, fresh);
      out.push(fresh);
    }
  }
  return out.map((entry) => (Array.isArray(entry) ? merge(entry) : entry));
}

function merge(group: Finding[]): Finding {
  const [first] = group;
  if (group.length === 1) return first!;
  const nodes = [...new Set(group.flatMap((f) => f.nodes))];
  const seen = new Set<string>();
  const related: RelatedLocation[] = [];
  for (const r of group.flatMap((f) => f.related)) {
    const key = JSON.stringify([r.location?.file, r.location?.line, r.location?.column, r.message]);
    if (!seen.has(key)) {
      seen.add(key);
      related.push(r);
    }
  }
  const more = group.length - 1;
  return { ...first!, message: `${first!.message} (and ${more} more like it from this line: ${nodes.length} nodes in all)`, nodes, related };
}
