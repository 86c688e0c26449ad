/**
 * One writer per output folder: a synth holds `.netscale-lock` while it compares and writes, so
 * two synths never interleave their files. A second synth fails at once, naming the holder. A lock
 * left by a run that was killed is taken over once its process is gone.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LOCK_FILE, OutputError } from './output-folder';

/** Who holds a lock: written into the lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface OutputLock {
  /** A holder that had died without releasing the lock, taken over by this run. */
  readonly recovered?: LockHolder;
  release(): void;
}

/** A break-in that takes longer than this was itself interrupted: its marker may be removed. */
const STALE_BREAK_MS = 10_000;

/** Take the lock on `dir` (which exists), or throw `OutputError` naming the synth that holds it. */
export function lockOutputFolder(dir: string): OutputLock {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
      return held(file, text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new OutputError(`cannot lock the output folder (${file}): ${(e as Error).message}; nothing was written`);
    }
    const current = readLock(file);
    if (current === undefined) continue; // released meanwhile
    if (current.holder === undefined) {
      // Being written this instant, or left empty by a run killed while writing it.
      if (Date.now() - current.mtimeMs < STALE_BREAK_MS) throw busy(file);
    } else if (isAlive(current.holder)) {
      throw busy(file, current.holder);
    }
    if (takeOver(file, current.text, text)) return held(file, text, current.holder);
  }
  throw busy(file);
}

function held(file: string, text: string, recovered?: LockHolder): OutputLock {
  return {
    ...(recovered ? { recovered } : {}),
    release: () => {
      // Only our own lock: never one a later run holds.
      if (readLock(file)?.text === text) fs.rmSync(file, { force: true });
    },
  };
}

/**
 * Replace a dead holder's lock with ours, under a short-lived break marker so two runs cannot both
 * take it over; true if ours is now in place.
 */
function takeOver(file: string, dead: string, text: string): boolean {
  const breaking = `${file}.break`;
  try {
    fs.writeFileSync(breaking, text, { flag: 'wx' });
  } catch {
    const stat = fs.statSync(breaking, { throwIfNoEntry: false });
    if (stat && Date.now() - stat.mtimeMs > STALE_BREAK_MS) fs.rmSync(breaking, { force: true });
    return false;
  }
  try {
    if (readLock(file)?.text !== dead) return false;
    const mineTemp = `${file}.${process.pid}`;
    fs.writeFileSync(mineTemp, text);
    fs.renameSync(mineTemp, file);
    return true;
  } finally {
    fs.rmSync(breaking, { force: true });
  }
}

function readLock(file: string): { text: string; holder?: LockHolder; mtimeMs: number } | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const mtimeMs = fs.statSync(file).mtimeMs;
    try {
      const holder = JSON.parse(text) as LockHolder;
      return Number.isInteger(holder.pid) ? { text, holder, mtimeMs } : { text, mtimeMs };
    } catch {
      return { text, mtimeMs };
    }
  } catch {
    return undefined;
  }
}

/** A holder on another machine (a shared disk) cannot be checked: it counts as alive. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busy(file: string, holder?: LockHolder): OutputError {
  const who = holder ? `another netscale synth (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : 'another netscale synth';
  return new OutputError(`${who} is writing the output folder; run again when it is done, or remove ${file} if no synth runs; nothing was written`);
}
