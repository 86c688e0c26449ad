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
 * Layout, under `<dir>/<version>/`: `index.json` (per key: the cluster's fleet facts, warnings,
 * index row, the files it writes, and where its bytes are) and `packs/*.pack`, one per run that
 * rendered something, each entry a JSON header line (the files and the hash of their bytes) and
 * the files' bytes one after the other. Packs keep a 10,000-cluster cache in a handful of files:
 * creating and opening files is most of what a large synth costs the file system. Written by
 * synth only; check, diff and explain read it and write nothing. The index is replaced whole
 * (written, then renamed) after the pack is complete, so a run that dies leaves the old index;
 * bytes that do not match their hash (a crash, a disk error) are never written to dist/: the
 * profile is rendered again.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { FleetMember } from '../cluster/load';
import { Diagnostic } from '../profile/diagnostics';
import { ClusterFleetFacts, ClusterOutput } from './render';

const FORMAT = 4;
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

/** What the index keeps of one rendered cluster. */
export interface CachedCluster {
  readonly member: FleetMember;
  readonly warnings: readonly Diagnostic[];
  /** What the fleet-wide files need of it. */
  readonly fleet: ClusterFleetFacts;
  /** Every file the cluster writes, with its length in bytes, in the order they are kept. */
  readonly files: ReadonlyArray<readonly [string, number]>;
  /** Set when its rules read dist/: reused only while dist/ holds one of these. */
  readonly previous?: PreviousFingerprints;
  readonly at?: Location;
}

/** A cluster's files as kept: each file's bytes (views of one buffer), and whether they match their hash. */
export interface CachedFiles {
  readonly files: ReadonlyMap<string, Buffer>;
  intact(): boolean;
}

interface IndexFile {
  readonly format: number;
  readonly version: string;
  readonly entries: Record<string, CachedCluster>;
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
        for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (entry !== version) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
      } catch {
        // left for a run that can remove it
      }
    }
    let entries: Record<string, CachedCluster> = {};
    try {
      const index = JSON.parse(fs.readFileSync(path.join(root, 'index.json'), 'utf8')) as IndexFile;
      if (index.format === FORMAT && index.version === version && index.entries && typeof index.entries === 'object') entries = index.entries;
    } catch {
      // no index yet, or a damaged one: everything renders
    }
    return new RenderCache(root, version, options.writable, new Map(Object.entries(entries)));
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
    return crypto.createHash('sha256').update(`netscale-render ${FORMAT}\0${this.version}\0${file}\0${repoFile}\0`).update(text).digest('hex').slice(0, 40);
  }

  lookup(key: string): CachedCluster | undefined {
    const entry = this.entries.get(key);
    if (entry) this.used.add(key);
    return entry;
  }

  /** The entries read last, so that a cluster's files compared or written one after another read its bytes once. */
  private readonly recent = new Map<string, CachedFiles | undefined>();

  /**
   * A cached cluster's files, or undefined when they are missing or do not fit the index. Only the
   * last few are held, so comparing or writing a large fleet never holds all of its bytes.
   */
  read(key: string): CachedFiles | undefined {
    if (this.recent.has(key)) return this.recent.get(key);
    const files = this.readEntry(key);
    if (this.recent.size >= RECENT_READS) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, files);
    return files;
  }

  private readEntry(key: string): CachedFiles | undefined {
    const entry = this.entries.get(key);
    const raw = entry?.at ? this.readAt(entry.at) : undefined;
    if (!entry || !raw) return undefined;
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
  store(key: string, output: ClusterOutput, member: FleetMember, warnings: readonly Diagnostic[], previous?: PreviousFingerprints): CachedCluster {
    const bodies = output.files.map(([, text]) => Buffer.from(text, 'utf8'));
    const files = output.files.map(([file], i) => [file, bodies[i].length] as const);
    const entry: CachedCluster = { member, warnings, fleet: output.fleet, files, ...(previous ? { previous } : {}) };
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
    if (this.changed) {
      const index: IndexFile = { format: FORMAT, version: this.version, entries: Object.fromEntries(this.entries) };
      writeReplacing(path.join(this.root, 'index.json'), JSON.stringify(index));
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
        const raw = this.readAt(e.at);
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

  private readAt(at: Location): Buffer | undefined {
    try {
      let fd = this.fds.get(at.pack);
      if (fd === undefined) {
        fd = fs.openSync(path.join(this.root, PACKS, at.pack), 'r');
        this.fds.set(at.pack, fd);
      }
      const buffer = Buffer.allocUnsafe(at.length);
      const n = fs.readSync(fd, buffer, 0, at.length, at.offset);
      return n === at.length ? buffer : undefined;
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

function bodyHash(body: Buffer): string {
  return crypto.createHash('sha256').update(body).digest('base64url');
}

/** Write to a temporary name beside the file, then rename over it: readers see the old or the new. */
function writeReplacing(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, data);
  fs.renameSync(partial, file);
}
