import { SingleBar, Presets } from "cli-progress";

export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

/**
 * A progress bar with rate and ETA on a terminal; plain lines (at every 10%, or every 100 items when the total is
 * unknown) when output goes to a file or a CI log.
 */
export function progress(label: string, total: number | undefined, unit = "items"): Progress {
  if (process.stderr.isTTY && total !== undefined) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    }, Presets.shades_classic);
    const started = Date.now();
    bar.start(total, 0, { rate: "0" });
    return {
      update: (done) => bar.update(Math.min(done, total), { rate: (done / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(1) }),
      stop: () => bar.stop(),
    };
  }
  let next = 0;
  const started = Date.now();
  return {
    update(done) {
      const mark = total ? Math.floor((done / total) * 10) : Math.floor(done / 100);
      if (mark < next) return;
      next = mark + 1;
      const rate = done / Math.max(1e-3, (Date.now() - started) / 1000);
      process.stderr.write(`${label}: ${done}${total ? `/${total}` : ""} ${unit} (${rate.toFixed(1)} ${unit}/s)\n`);
    },
    stop() {},
  };
}
