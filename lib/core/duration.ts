/** Durations as Kubernetes components and netscale's own fields write them. */

/** A Go duration as kube-proxy parses it: 30s, 1m30s, 250ms, 0s. */
export const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;

/** Whole hours, minutes and seconds such as 30m or 1h30m (restart timeouts). */
export const WHOLE_DURATION = /^(?=\d)(\d{1,6}h)?(\d{1,6}m)?(\d{1,6}s)?$/;

export function isGoDuration(text: string): boolean {
  return GO_DURATION.test(text);
}

/** Seconds in whole hours, minutes and seconds such as 1h30m. */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([hms])/g)) total += Number(n) * units[unit];
  return total;
}

/** 0, 0s, 0ms, 0h0m0s: every number in the Go duration is zero. */
export function isZeroDuration(duration: string): boolean {
  return (duration.match(/[0-9]+(\.[0-9]+)?/g) ?? ['1']).every((n) => Number(n) === 0);
}

const GO_DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds in a Go duration such as 30s, 1m30s or 1.5s (kube-proxy's sync periods); NaN for anything else. */
export function goDurationSeconds(duration: string): number {
  if (!isGoDuration(duration)) return NaN;
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(n) * GO_DURATION_UNITS[unit];
  return total;
}
