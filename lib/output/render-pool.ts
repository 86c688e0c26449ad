/**
 * Rendering a large fleet on every core: worker threads load, check and render profiles, and so
 * does the main thread whenever the result it needs next is not back yet; results are taken in
 * file order, so the output (and every report) is the same as rendering in one thread, byte for
 * byte. Each cluster renders on its own, so nothing is shared but the profile's text going in and
 * its files coming back. The main thread rendering too keeps one worker's memory off a 2-core run.
 *
 * The pass over the fleet is synchronous (it yields one cluster at a time to whoever writes or
 * compares), so the main thread reads replies with receiveMessageOnPort and, with nothing left to
 * render, waits for one with Atomics.wait. Workers start through bin/netscale.js, so they run the
 * same verified bundle as the main thread (and refuse to render if the sources changed since it
 * started); code loaded any other way (tests, tsx) renders in its own thread.
 */
import * as os from 'os';
import { isMainThread, MessageChannel, MessagePort, parentPort, receiveMessageOnPort, Worker, workerData } from 'worker_threads';
import { ProfileRenderer, RenderJobOptions, renderProfileText, RenderOutcome } from './fleet';
import { launcher } from './version';

/** Fewer profiles to render than this are done in this thread: starting a worker costs more. */
export const POOL_THRESHOLD = 200;
/** Jobs a worker holds at once: enough to keep it busy, few enough that results do not pile up. */
const WINDOW = 16;
/** A worker that answers nothing for this long is taken for dead. */
const STALL_MS = 120_000;

interface Job {
  readonly id: number;
  readonly file: string;
  readonly text: string;
  readonly options: RenderJobOptions;
}

type Reply = { readonly id: number; readonly outcome: RenderOutcome } | { readonly id: number; readonly error: string };

interface WorkerData {
  readonly netscaleRenderWorker: true;
  readonly port: MessagePort;
  readonly signal: Int32Array;
  /** The sources the main thread's bundle was built from: a worker built from others must not render. */
  readonly sources: string;
}

/**
 * A renderer that renders in `threads` threads (this one and `threads - 1` workers) for a pass with
 * at least POOL_THRESHOLD profiles to render; undefined when worker threads cannot run netscale's
 * code (not started by bin/netscale.js) or `threads` is below 2.
 */
export function renderPool(threads: number): ProfileRenderer | undefined {
  const from = launcher();
  if (threads < 2 || !from) return undefined;
  let pool: Pool | undefined;
  let used = 0;
  return {
    prefetch(jobs) {
      used = jobs.length >= POOL_THRESHOLD ? Math.min(threads, Math.ceil(jobs.length / POOL_THRESHOLD)) : 0;
      if (used > 1) pool = new Pool(used - 1, jobs, from.bin, from.sources);
      else used = 0;
    },
    threads: () => used,
    render(file, text, options) {
      return pool ? pool.take(file) : renderProfileText(file, text, options);
    },
    close() {
      pool?.close();
      pool = undefined;
    },
  };
}

/** Threads that render by default: one per core, at most four. `NETSCALE_WORKERS` overrides (0 or 1: this thread only). */
export function renderThreads(setting: string | undefined): number {
  if (setting !== undefined && setting !== '') {
    const n = Number(setting);
    return Number.isInteger(n) && n >= 0 ? n : 0;
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.min(cores, 4);
}

class Pool {
  private readonly workers: Array<{ worker: Worker; port: MessagePort; outstanding: number }> = [];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly results = new Map<number, Reply>();
  private readonly jobs: Job[];
  private nextToSend = 0;
  private nextToTake = 0;

  constructor(
    workers: number,
    jobs: ReadonlyArray<{ readonly file: string; readonly text: string; readonly options: RenderJobOptions }>,
    bin: string,
    sources: string,
  ) {
    this.jobs = jobs.map((j, id) => ({ id, file: j.file, text: j.text, options: j.options }));
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel();
      const data: WorkerData = { netscaleRenderWorker: true, port: port2, signal: this.signal, sources };
      const worker = new Worker(bin, { workerData: data, transferList: [port2], argv: [] });
      // Waiting in Atomics.wait must not keep the process alive after close().
      worker.unref();
      this.workers.push({ worker, port: port1, outstanding: 0 });
    }
    this.dispatch();
  }

  /** The outcome of the next job, which must be `file`'s: blocks until a worker has sent it. */
  take(file: string): RenderOutcome {
    const id = this.nextToTake++;
    const job = this.jobs[id];
    if (!job || job.file !== file) throw new Error(`render pool: asked for ${file}, next is ${job?.file ?? 'nothing'}`);
    let waited = 0;
    while (!this.results.has(id)) {
      const seen = Atomics.load(this.signal, 0);
      this.drain();
      if (this.results.has(id)) break;
      // Rather than wait, render the next profile no worker has taken.
      if (this.nextToSend < this.jobs.length) {
        const next = this.jobs[this.nextToSend];
        this.jobs[this.nextToSend++] = { ...next, text: '' };
        this.results.set(next.id, { id: next.id, outcome: renderProfileText(next.file, next.text, next.options) });
        continue;
      }
      if (Atomics.wait(this.signal, 0, seen, 1000) === 'timed-out') {
        waited += 1000;
        if (waited >= STALL_MS) throw new Error(`render pool: no result for ${file} after ${STALL_MS / 1000} s`);
      } else waited = 0;
    }
    const reply = this.results.get(id)!;
    this.results.delete(id);
    if ('error' in reply) throw new Error(`rendering ${file} failed: ${reply.error}`);
    return reply.outcome;
  }

  close(): void {
    for (const w of this.workers) {
      w.port.close();
      void w.worker.terminate();
    }
    this.workers.length = 0;
  }

  /** Read every reply waiting, then hand out jobs to workers with room. */
  private drain(): void {
    for (const w of this.workers) {
      for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
        const reply = m.message as Reply;
        this.results.set(reply.id, reply);
        w.outstanding--;
      }
    }
    this.dispatch();
  }

  private dispatch(): void {
    for (const w of this.workers) {
      while (w.outstanding < WINDOW && this.nextToSend < this.jobs.length) {
        const job = this.jobs[this.nextToSend];
        w.worker.postMessage(job);
        // The worker has its copy of the text; only the name is needed here from now on.
        this.jobs[this.nextToSend++] = { ...job, text: '' };
        w.outstanding++;
      }
    }
  }
}

/** Whether this thread is a render worker started by a pool. */
export function isRenderWorker(): boolean {
  return !isMainThread && (workerData as Partial<WorkerData> | null)?.netscaleRenderWorker === true;
}

/** The worker's side: render each job and send the outcome back, then wake the main thread. */
export function runRenderWorker(): void {
  const { port, signal, sources } = workerData as WorkerData;
  const mine = launcher()?.sources;
  parentPort!.on('message', (job: Job) => {
    let reply: Reply;
    try {
      if (mine !== sources) throw new Error("netscale's sources changed while it ran: run it again");
      reply = { id: job.id, outcome: renderProfileText(job.file, job.text, job.options) };
    } catch (e) {
      reply = { id: job.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    port.postMessage(reply);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
}
