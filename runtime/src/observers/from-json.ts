import type { ObserverBase } from "./base.js";
import { parseObserverJSON } from "./base.js";
import type { ObserverJSON } from "./observer.js";
import { ObserverError } from "./observer-error.js";
import { OBSERVER_CLASSES } from "./registry.js";

/**
 * Rebuilds any qkit observer from its `toJSON()` output (an object or its JSON text), e.g. a calibration shard
 * saved by another process, ready to `merge` into a running observer.
 */
export function observerFromJSON(json: ObserverJSON | string | unknown): ObserverBase {
  const j = parseObserverJSON(json);
  const cls = OBSERVER_CLASSES.get(j.observer);
  if (!cls) {
    throw new ObserverError("invalid-json", j.observer, `unknown observer (known: ${[...OBSERVER_CLASSES.keys()].join(", ")})`);
  }
  return (cls as unknown as { fromJSON(json: unknown): ObserverBase }).fromJSON(j);
}
