import type { ObserverClass } from "./base.js";
import { EntropyObserver } from "./entropy.js";
import { FixedQParamsObserver } from "./fixed-qparams.js";
import { HistogramObserver } from "./histogram.js";
import { MinMaxObserver } from "./min-max.js";
import { MovingAverageMinMaxObserver } from "./moving-average-min-max.js";
import { MovingAveragePerChannelMinMaxObserver } from "./moving-average-per-channel-min-max.js";
import { PerChannelMinMaxObserver } from "./per-channel-min-max.js";
import { PercentileObserver } from "./percentile.js";
import { PlaceholderObserver } from "./placeholder.js";

/** Every observer class qkit ships, by observerName. */
export const OBSERVER_CLASSES: ReadonlyMap<string, ObserverClass> = new Map<string, ObserverClass>(
  [
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    PerChannelMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    HistogramObserver,
    PlaceholderObserver,
    FixedQParamsObserver,
    PercentileObserver,
    EntropyObserver,
  ].map((c) => [c.observerName, c as ObserverClass]),
);
