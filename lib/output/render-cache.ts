/**
 * Clusters rendered by an earlier run, reused when nothing that shapes them changed, never judged
 * by a timestamp. A cluster's result depends on:
 * - netscale's own version (its code and locked dependencies), the profile's bytes, its path as
 *   the terminal shows it (in its warnings and the fleet checks' messages) and its path in the
 *   repository (in its review): all four are hashed into the key;
 * - what dist/ holds for the cluster, for the rules that refuse a change made in place (a Calico
 *   IPPool's cidr or blockSize): that cannot be in the key, since dist/ changes under a cached
 *   cluster (the synth that rendered it writes it). So an entry records whether its profile's
 *   rules read dist/ at all and, when they did, the fingerprint (names and bytes) of the files
 *   they read and of the same files as the cluster's own output writes them. It is reused only
 *   when dist/ holds one of the two now: the first is exactly what the rules saw; the second is
 *   what a synth leaves, against which a rule that refuses changes finds none (each pool compared
 *   with itself), so the profile renders to the same bytes. Anything else renders again and the
 *   rules see what dist/ holds.
 * Nothing else shapes a cluster (the checks across the fleet run on every synth, from the facts
 * kept here), so a hit gives the same bytes a render would; `--full` renders everything and
 * proves it.
 *
 * Layout, under `<dir>/<version>/`: `index` (a header line, then one line per key: the files the
 * cluster writes and where their bytes are, a hash of its facts, then its `FleetMember`, warnings
 * and `ClusterFleetFacts` as JSON text, which a run keeps as text and parses only where it needs
 * them, so a large fleet's facts cost their bytes in memory, not their objects), `packs/*.pack`,
 * one per run that rendered something, each entry a JSON header line (the files and the hash of
 * their bytes) and the files' bytes one after the other, and `fleet-files.json`, dist/argocd/'s
 * fleet files of the last run with the hash of what they are made of and of their own text.
 * Packs keep a 10,000-cluster cache in a handful of files: creating and opening files is most of
 * what a large synth costs the file system. Written by synth only; check, diff and explain read
 * it and write nothing. The index is replaced whole (written, then renamed) after the pack is
 * complete, so a run that dies leaves the old index; bytes or facts that do not match their hash
 * (a crash, a disk error, a hand edit) are never written to dist/: the profile is rendered again.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ClusterOutput, FleetFilesMemo } from './render';

const FORMAT = 5;
const INDEX = 'index';
/** The last run's dist/argocd/ fleet files, with their key (see `FleetFilesMemo`). */
const FLEET_FILES = 'fleet-files.json';
const PACKS = 'packs';
/** A pack whose live entries hold less than this share of its bytes is rewritten when the cache is pruned. */
const COMPACT_BELOW = 0.5;
/** Entries `read` keeps at hand. */
const RECENT_READS = 4;

/** Where an entry's header and bytes sit. */
interface Location {
  readonly pack: string;
  readonly offset: number;
  readonly length: number;
}

/** What dist/ held for the cluster when its rules read it, and what it holds once the cluster is written (fingerprints). */
export interface PreviousFingerprints {
  readonly read: string;
  readonly written: string;
}

/**
 * A rendered cluster's facts as JSON text: its `FleetMember` (for the checks across the fleet),
 * its warnings (`Diagnostic[]`) and its `ClusterFleetFacts` (for the fleet-wide files).
 */
export interface ClusterFactsText {
  readonly name: string;
  readonly member: string;
  readonly warnings: string;
  readonly fleet: string;
}

/** What the index keeps of one rendered cluster. */
export interface CachedCluster extends ClusterFactsText {
  /** Every file the cluster writes, with its length in bytes, in the order they are kept. */
  readonly files: ReadonlyArray<readonly [string, number]>;
  /** Set when its rules read dist/: reused only while dist/ holds one of these. */
  readonly previous?: PreviousFingerprints;
  readonly at?: Location;
}

/** The part of an index line before the facts, with a hash of the facts' text. */
type EntryHead = Pick<CachedCluster, 'name' | 'files' | 'previous' | 'at'> & { readonly sum: string };

/** The facts of a line, hashed: a damaged line is left out (its cluster renders again), never parsed into the fleet's files. */
function factsSum(e: ClusterFactsText): string {
  return crypto.createHash('sha256').update(e.member).update('\t').update(e.warnings).update('\t').update(e.fleet).digest('base64url').slice(0, 22);
}

/** A cluster's files as kept: each file's bytes (views of one buffer), and whether they match their hash. */
export interface CachedFiles {
  readonly files: ReadonlyMap<string, Buffer>;
  intact(): boolean;
}

export class RenderCache {
  /**
   * The cache in `dir` for this `version` of netscale. A writable cache removes what other
   * versions left (their entries can never be used again).
   */
  static open(dir: string, version: string, options: { readonly writable: boolean }): RenderCache {
    const root = path.join(dir, version);
    if (options.writable) {
      try {
        for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
          if (entry !== version) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
      } catch {
        // left for a run that can remove it
      }
    }
    return new RenderCache(root, version, options.writable, readIndex(path.join(root, INDEX), version));
  }

  private readonly used = new Set<string>();
  private changed = false;
  /** Open packs, by name. */
  private readonly fds = new Map<string, number>();
  /** This run's pack, created when the first cluster is stored. */
  private pack?: { readonly name: string; readonly fd: number; size: number };

  private constructor(
    private readonly root: string,
    private readonly version: string,
    readonly writable: boolean,
    private readonly entries: Map<string, CachedCluster>,
  ) {}

  /**
   * The key of a profile: its path as shown (in its warnings), its path in the repository (in its
   * review) and its bytes, under this version.
   */
  key(file: string, repoFile: string, text: string): string {
    return crypto
      .createHash('sha256')
      .update(`netscale-render ${FORMAT}\0${this.version}\0${file}\0${repoFile}\0`)
      .update(text)
      .digest('hex')
      .slice(0, 40);
  }

  lookup(key: string): CachedCluster | undefined {
    const entry = this.entries.get(key);
    if (entry) this.used.add(key);
    return entry;
  }

  /** The fleet files kept by the last run that wrote the cache; a new set replaces them at `save`. */
  fleetFiles(): FleetFilesMemo {
    return {
      get: (key) => {
        try {
          const kept = JSON.parse(fs.readFileSync(path.join(this.root, FLEET_FILES), 'utf8')) as { key?: unknown; files?: unknown; hash?: unknown };
          // Checked like a pack's bytes: a damaged file is rendered again, never written.
          if (kept.key !== key || !Array.isArray(kept.files) || kept.hash !== filesHash(kept.files as Array<[string, string]>)) return undefined;
          return kept.files as Array<[string, string]>;
        } catch {
          return undefined;
        }
      },
      set: (key, files) => {
        if (this.writable) this.newFleetFiles = { key, files };
      },
    };
  }

  private newFleetFiles?: { readonly key: string; readonly files: ReadonlyArray<readonly [string, string]> };

  /** The entries read last, so that a cluster's files compared or written one after another read its bytes once. */
  private readonly recent = new Map<string, { readonly files?: CachedFiles; readonly buffer?: Buffer }>();
  /** Buffers of entries no longer held, for the next reads: reading back a large fleet allocated all of its bytes. */
  private readonly spare: Buffer[] = [];

  /**
   * A cached cluster's files, or undefined when they are missing or do not fit the index. Only the
   * last few are held, so comparing or writing a large fleet never holds all of its bytes: the
   * bytes are views that stay valid until four other clusters have been read, so use them at once.
   */
  read(key: string): CachedFiles | undefined {
    const held = this.recent.get(key);
    if (held) return held.files;
    if (this.recent.size >= RECENT_READS) {
      const [oldest, old] = this.recent.entries().next().value!;
      this.recent.delete(oldest);
      if (old.buffer) this.spare.push(old.buffer);
    }
    const read = this.readEntry(key, this.spare.pop());
    this.recent.set(key, read);
    return read.files;
  }

  private readEntry(key: string, spare?: Buffer): { files?: CachedFiles; buffer?: Buffer } {
    const entry = this.entries.get(key);
    const raw = entry?.at ? this.readAt(entry.at, spare) : undefined;
    const buffer = raw?.buffer ?? spare;
    const files = entry && raw ? this.filesOf(entry, raw.bytes) : undefined;
    return { ...(files ? { files } : {}), ...(buffer ? { buffer } : {}) };
  }

  private filesOf(entry: CachedCluster, raw: Buffer): CachedFiles | undefined {
    const newline = raw.indexOf(10);
    if (newline < 0) return undefined;
    let header: { files?: unknown; hash?: unknown };
    try {
      header = JSON.parse(raw.subarray(0, newline).toString('utf8')) as typeof header;
    } catch {
      return undefined;
    }
    const body = raw.subarray(newline + 1);
    if (JSON.stringify(header.files) !== JSON.stringify(entry.files)) return undefined;
    const files = new Map<string, Buffer>();
    let at = 0;
    for (const [file, length] of entry.files) {
      files.set(file, body.subarray(at, at + length));
      at += length;
    }
    if (at !== body.length) return undefined;
    let intact: boolean | undefined;
    // Hashing is for bytes about to be written; a comparison that matches needs none.
    return { files, intact: () => (intact ??= bodyHash(body) === header.hash) };
  }

  /**
   * Keep a freshly rendered cluster; returns what the index holds of it, with `at` only when its
   * bytes were kept (a read-only cache, or one that cannot be written, keeps nothing).
   */
  store(key: string, output: Pick<ClusterOutput, 'files'>, facts: ClusterFactsText, previous?: PreviousFingerprints): CachedCluster {
    const bodies = output.files.map(([, text]) => Buffer.from(text, 'utf8'));
    const files = output.files.map(([file], i) => [file, bodies[i].length] as const);
    const entry: CachedCluster = {
      name: facts.name,
      member: facts.member,
      warnings: facts.warnings,
      fleet: facts.fleet,
      files,
      ...(previous ? { previous } : {}),
    };
    if (!this.writable || this.broken) return entry;
    const body = Buffer.concat(bodies);
    const header = Buffer.from(`${JSON.stringify({ files, hash: bodyHash(body) })}\n`, 'utf8');
    let at: Location;
    try {
      at = this.append(Buffer.concat([header, body]));
    } catch (e) {
      this.fail(e);
      return entry;
    }
    const stored = { ...entry, at };
    this.entries.set(key, stored);
    this.used.add(key);
    this.changed = true;
    return stored;
  }

  /**
   * Write the index. `prune` (after a run over the whole fleet) drops the entries that run did not
   * use, so the cache holds one fleet's worth and no more: packs left without entries are deleted,
   * and packs mostly dead have their live entries copied into this run's pack first.
   */
  save(options: { readonly prune: boolean }): void {
    if (!this.writable || this.broken) return;
    try {
      this.saveIndex(options);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Why the cache stopped being written in this run (a read-only or full disk), if it did: the
   * synth goes on without it.
   */
  get failure(): string | undefined {
    return this.broken;
  }

  private broken: string | undefined;

  private fail(e: unknown): void {
    this.broken = e instanceof Error ? e.message : String(e);
  }

  private saveIndex(options: { readonly prune: boolean }): void {
    if (options.prune) {
      for (const key of [...this.entries.keys()]) {
        if (this.used.has(key)) continue;
        this.entries.delete(key);
        this.changed = true;
      }
      this.compact();
    }
    // No fsync: bytes that did not reach the disk fail their hash and are rendered again.
    if (this.pack) {
      fs.closeSync(this.pack.fd);
      this.fds.delete(this.pack.name);
      this.pack = undefined;
    }
    if (this.changed) writeIndex(path.join(this.root, INDEX), this.version, this.entries);
    if (this.newFleetFiles) {
      const partial = path.join(this.root, `${FLEET_FILES}.${process.pid}.tmp`);
      fs.writeFileSync(partial, JSON.stringify({ ...this.newFleetFiles, hash: filesHash(this.newFleetFiles.files) }));
      fs.renameSync(partial, path.join(this.root, FLEET_FILES));
      this.newFleetFiles = undefined;
    }
    if (options.prune) {
      const live = new Set([...this.entries.values()].map((e) => e.at?.pack));
      const dir = path.join(this.root, PACKS);
      for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (live.has(file)) continue;
        this.close1(file);
        fs.rmSync(path.join(dir, file), { force: true });
      }
    }
    this.changed = false;
  }

  /** Close the packs this run read (their bytes are read lazily, while dist/ is written or compared). */
  close(): void {
    for (const pack of [...this.fds.keys()]) if (pack !== this.pack?.name) this.close1(pack);
  }

  /** Move the live entries of mostly dead packs into this run's pack. */
  private compact(): void {
    const liveBytes = new Map<string, number>();
    for (const e of this.entries.values()) if (e.at) liveBytes.set(e.at.pack, (liveBytes.get(e.at.pack) ?? 0) + e.at.length);
    for (const [pack, bytes] of liveBytes) {
      if (pack === this.pack?.name) continue;
      let size: number;
      try {
        size = fs.statSync(path.join(this.root, PACKS, pack)).size;
      } catch {
        continue;
      }
      if (bytes >= size * COMPACT_BELOW) continue;
      for (const [key, e] of this.entries) {
        if (e.at?.pack !== pack) continue;
        const raw = this.readAt(e.at)?.bytes;
        if (raw) this.entries.set(key, { ...e, at: this.append(raw) });
        else this.entries.delete(key);
        this.changed = true;
      }
    }
  }

  private append(data: Buffer): Location {
    if (!this.pack) {
      const dir = path.join(this.root, PACKS);
      fs.mkdirSync(dir, { recursive: true });
      // A name no other run uses; it names a file, never a cache key.
      const name = `${process.pid}-${crypto.randomBytes(6).toString('hex')}.pack`;
      const fd = fs.openSync(path.join(dir, name), 'wx');
      this.pack = { name, fd, size: 0 };
      this.fds.set(name, fd);
    }
    const offset = this.pack.size;
    fs.writeSync(this.pack.fd, data, 0, data.length, offset);
    this.pack.size += data.length;
    return { pack: this.pack.name, offset, length: data.length };
  }

  /** An entry's bytes, read into `into` when it is large enough (else a new buffer, returned with them). */
  private readAt(at: Location, into?: Buffer): { bytes: Buffer; buffer: Buffer } | undefined {
    try {
      let fd = this.fds.get(at.pack);
      if (fd === undefined) {
        fd = fs.openSync(path.join(this.root, PACKS, at.pack), 'r');
        this.fds.set(at.pack, fd);
      }
      const buffer = into && into.length >= at.length ? into : Buffer.allocUnsafe(Math.max(at.length, 64 * 1024));
      const n = fs.readSync(fd, buffer, 0, at.length, at.offset);
      return n === at.length ? { bytes: buffer.subarray(0, at.length), buffer } : undefined;
    } catch {
      return undefined;
    }
  }

  private close1(pack: string): void {
    const fd = this.fds.get(pack);
    if (fd === undefined) return;
    fs.closeSync(fd);
    this.fds.delete(pack);
  }
}

/**
 * The index as lines: a header, then per entry its key and head as JSON and its facts as the JSON
 * text they were kept as, tab-separated (JSON text never holds a raw tab or newline). Written to
 * a temporary name in chunks, then renamed over the old one.
 */
function writeIndex(file: string, version: string, entries: ReadonlyMap<string, CachedCluster>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(partial, 'w');
  try {
    let chunk = `${JSON.stringify({ format: FORMAT, version })}\n`;
    for (const [key, e] of entries) {
      const head: EntryHead = {
        name: e.name,
        files: e.files,
        ...(e.previous ? { previous: e.previous } : {}),
        ...(e.at ? { at: e.at } : {}),
        sum: factsSum(e),
      };
      chunk += `${JSON.stringify(key)}\t${JSON.stringify(head)}\t${e.member}\t${e.warnings}\t${e.fleet}\n`;
      if (chunk.length >= 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, file);
}

/**
 * The entries of an index for this version; none when there is no index or it is another's. A
 * damaged line is left out (its cluster renders again).
 */
function readIndex(file: string, version: string): Map<string, CachedCluster> {
  const entries = new Map<string, CachedCluster>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return entries;
  }
  let at = text.indexOf('\n');
  try {
    const header = JSON.parse(text.slice(0, at)) as { format?: unknown; version?: unknown };
    if (header.format !== FORMAT || header.version !== version) return entries;
  } catch {
    return entries;
  }
  while (at >= 0 && at < text.length - 1) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end < 0 ? text.length : end);
    at = end;
    const parts = line.split('\t');
    if (parts.length !== 5) continue;
    try {
      const key = JSON.parse(parts[0]) as unknown;
      const head = JSON.parse(parts[1]) as EntryHead;
      if (typeof key !== 'string' || typeof head.name !== 'string' || !Array.isArray(head.files)) continue;
      const { sum, ...kept } = head;
      const entry: CachedCluster = { ...kept, member: parts[2], warnings: parts[3], fleet: parts[4] };
      if (sum === factsSum(entry)) entries.set(key, entry);
    } catch {
      // a damaged line
    }
  }
  return entries;
}

function filesHash(files: ReadonlyArray<readonly [string, string]>): string {
  return crypto.createHash('sha256').update(JSON.stringify(files)).digest('base64url');
}

function bodyHash(body: Buffer): string {
  return crypto.createHash('sha256').update(body).digest('base64url');
}
