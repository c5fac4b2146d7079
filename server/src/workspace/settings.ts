import { DEFAULT_SETTINGS, type QkitSettings } from "../protocol.js";

/**
 * The range each numeric setting may take. Timers cannot wait longer than 2³¹−1 ms (Node then fires them at once),
 * so no duration may reach that; the lower bounds are the manifest's.
 */
const RANGES: Record<Exclude<keyof QkitSettings, "inlayHints">, { min: number; max: number; integer: boolean }> = {
  checkTimeoutMs: { min: 100, max: 600_000, integer: true },
  checkMemoryLimitMb: { min: 64, max: 65_536, integer: true },
  calibrationMemoryLimitMb: { min: 256, max: 262_144, integer: true },
  debounceMs: { min: 0, max: 10_000, integer: true },
  sqnrThresholdDb: { min: -200, max: 200, integer: false },
};

export interface ValidatedSettings {
  /** The settings that were given and usable, clamped into their ranges. */
  settings: Partial<QkitSettings>;
  /** One line per setting that was out of range (clamped) or of the wrong type (ignored), naming it. */
  warnings: string[];
}

/**
 * The `qkit` settings a client sent, as far as they are usable: a client's mistake (a string for a number, a
 * timeout of 1e12) never reaches the server's timers; each becomes a one-line warning naming the setting.
 */
export function validateSettings(raw: unknown): ValidatedSettings {
  const settings: Partial<QkitSettings> = {};
  const warnings: string[] = [];
  if (raw === undefined || raw === null) return { settings, warnings };
  if (typeof raw !== "object" || Array.isArray(raw)) return { settings, warnings: [`qkit settings must be an object, not ${JSON.stringify(raw)}; using the defaults`] };
  const given = raw as Record<string, unknown>;
  for (const [key, range] of Object.entries(RANGES) as [keyof typeof RANGES, (typeof RANGES)[keyof typeof RANGES]][]) {
    const value = given[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      warnings.push(`qkit.${key}: ${JSON.stringify(value) ?? String(value)} is not a number; using ${DEFAULT_SETTINGS[key]} (the default) or the last valid value`);
      continue;
    }
    const rounded = range.integer ? Math.round(value) : value;
    const clamped = Math.min(range.max, Math.max(range.min, rounded));
    if (clamped !== value) warnings.push(`qkit.${key}: ${value} is outside ${range.min}–${range.max}; using ${clamped}`);
    settings[key] = clamped;
  }
  if (given.inlayHints !== undefined && given.inlayHints !== null) {
    if (typeof given.inlayHints === "boolean") settings.inlayHints = given.inlayHints;
    else warnings.push(`qkit.inlayHints: ${JSON.stringify(given.inlayHints)} is not true or false; ignored`);
  }
  return { settings, warnings };
}

/** Trust is given only by the boolean true: any other value a client sends ("false", 1, an object) is no trust. */
export function isTrusted(value: unknown): boolean {
  return value === true;
}
