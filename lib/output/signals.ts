/**
 * Signals and the write. Before the write nothing on disk has changed, so SIGINT, SIGTERM and SIGHUP
 * keep their default: the run stops at once, in any phase. Once the write starts it finishes: the
 * signals are held until it returns and then delivered, so the process still stops, with the
 * output folder complete.
 */

const HELD_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The handlers in place, until the event loop has dispatched what the write held back. */
let held: { release(): void } | undefined;

/** Run `write` with the signals held; one that arrives meanwhile is delivered right after it. */
export function withSignalsHeld<T>(write: () => T): T {
  if (held) return write();
  const deliver = (signal: NodeJS.Signals) => {
    hold.release();
    // Nothing else listening: the default action, as if it had never been held.
    process.kill(process.pid, signal);
  };
  const hold = {
    release: () => {
      for (const s of HELD_SIGNALS) process.removeListener(s, deliver);
      if (held === hold) held = undefined;
    },
  };
  held = hold;
  for (const s of HELD_SIGNALS) process.on(s, deliver);
  try {
    return write();
  } finally {
    // A signal that came during the (synchronous) write is dispatched on the next turn of the event
    // loop, before immediates run; only then may the handlers go.
    setImmediate(hold.release);
  }
}
