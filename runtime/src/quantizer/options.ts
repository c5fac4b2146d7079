/**
 * Option names a spec or an annotation was given that it does not have. PT2E habits (`quant_min`, `ch_axis`,
 * `output_qspec`) would otherwise be dropped without a word; the checker reports each at the line that made it.
 */
export function unknownOptions(fields: object | undefined, known: readonly string[]): string[] {
  if (!fields || typeof fields !== "object") return [];
  return Object.keys(fields).filter((k) => !known.includes(k) && !SPEC_OWN_FIELDS.has(k));
}

/** What a spread spec (`new QuantizationSpec({ ...spec, chAxis: 1 })`) brings along besides its options. */
const SPEC_OWN_FIELDS = new Set(["kind", "site", "unknownOptions", "deriveFunction"]);

const squash = (name: string) => name.replace(/[_\-\s]/g, "").toLowerCase();

/** Levenshtein distance between two names (the editor's did-you-mean fixes use it too). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The known option an unknown name most likely meant: the same letters in another casing, or a close spelling. */
export function closestOption(name: string, known: readonly string[]): string | undefined {
  const same = known.find((k) => squash(k) === squash(name));
  if (same) return same;
  const scored = known.map((k) => ({ k, d: editDistance(squash(k), squash(name)) })).sort((x, y) => x.d - y.d);
  return scored[0] && scored[0].d <= Math.max(1, Math.floor(name.length / 4)) ? scored[0].k : undefined;
}

/** Up to `count` names closest to a misspelt one, nearest first; none further than `limit` edits (half its length). */
export function closestNames(text: string, names: Iterable<string>, count = 3, limit = Math.max(2, Math.ceil(text.length / 2))): string[] {
  return [...new Set(names)]
    .map((name) => ({ name, d: editDistance(text.toLowerCase(), name.toLowerCase()) }))
    .filter((c) => c.d <= limit && c.name !== text)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((c) => c.name);
}
