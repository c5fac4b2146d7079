import { callersOf } from "../quantizer/source-site.js";
import type { Finding, RelatedLocation } from "./finding.js";

/**
 * A finding about a spec or annotation a helper made. The quantizer's file is the one annotate() runs in (the last
 * frame of the chain). A helper in another file (a shared library of specs) is not where the user looks: the finding
 * moves to the first line of the quantizer file that called into it, and the helper's line and the other calls on the
 * way become related. A helper in the quantizer file keeps the finding and lists the calls that led to it.
 */
export function placeAtCallSite(f: Finding): Finding {
  if (!f.location) return f;
  const chain = callersOf(f.location);
  if (chain.length === 0) return f;
  const home = chain[chain.length - 1]!.file;
  const calledFrom = (frames: readonly typeof chain[number][]): RelatedLocation[] => frames.map((location) => ({ location, message: "called from here" }));
  if (f.location.file === home) return { ...f, related: [...f.related, ...calledFrom(chain)] };
  const index = chain.findIndex((c) => c.file === home);
  return {
    ...f,
    location: chain[index]!,
    related: [{ location: f.location, message: "made here, in a helper this line calls" }, ...calledFrom(chain.slice(0, index)), ...calledFrom(chain.slice(index + 1)), ...f.related],
  };
}
