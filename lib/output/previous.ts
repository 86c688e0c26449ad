/**
 * What the last synth left in dist/: the state in git, which Argo CD applied. Rules that refuse
 * changes a component cannot make in place (an IPPool's cidr or blockSize) compare against it.
 *
 * A cluster's folder is read only when a rule asks (a profile with Calico pools), and a watched
 * lookup says whether it was read and a fingerprint of what it read, so the render cache can tell
 * whether a cluster's result still holds for what dist/ holds now (see render-cache.ts).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PreviousRender } from '../core/cluster';
import { PreviousRenderLookup } from '../profile/load';
import { MANIFEST_EXTENSION } from './render';

/** Reads `<outdir>/<cluster>/IPPool.*.k8s.yaml` on demand; a cluster without a folder has no past. */
export function previousRenderIn(outdir: string): PreviousRenderLookup {
  return watchPreviousRender(outdir).lookup;
}

/** A lookup into `outdir`, and the fingerprint of what it read (undefined when no rule asked). */
export interface WatchedPreviousRender {
  readonly lookup: PreviousRenderLookup;
  read(): string | undefined;
}

/**
 * A lookup whose answer reads the folder when a rule first reads `ipPools`. A missing folder reads
 * as no pools, which is what the rules make of no past (`existingPools ?? []`).
 */
export function watchPreviousRender(outdir: string): WatchedPreviousRender {
  let fingerprint: string | undefined;
  return {
    lookup: (cluster: string): PreviousRender => {
      let pools: PreviousRender['ipPools'] | undefined;
      return {
        get ipPools() {
          if (pools === undefined) {
            const files = ipPoolFiles(outdir, cluster);
            fingerprint = fingerprintOf(files);
            pools = poolsOf(files);
          }
          return pools;
        },
      };
    },
    read: () => fingerprint,
  };
}

/** The fingerprint of the IPPool files `outdir` holds for `cluster` now. */
export function previousFingerprintIn(outdir: string, cluster: string): string {
  return fingerprintOf(ipPoolFiles(outdir, cluster));
}

/** The fingerprint dist/ will have for `cluster` once these rendered files (relative to dist/) are written. */
export function previousFingerprintOf(cluster: string, files: ReadonlyArray<readonly [string, string]>): string {
  const prefix = `${cluster}/`;
  const pools = files
    .filter(([rel]) => rel.startsWith(prefix) && isIpPoolFile(rel.slice(prefix.length)))
    .map(([rel, text]) => [rel.slice(prefix.length), Buffer.from(text, 'utf8')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return fingerprintOf(pools);
}

function isIpPoolFile(name: string): boolean {
  return name.startsWith('IPPool.') && name.endsWith(MANIFEST_EXTENSION);
}

/** The IPPool files of a cluster's folder, sorted by name, with their bytes; none when there is no folder. */
function ipPoolFiles(outdir: string, cluster: string): Array<readonly [string, Buffer]> {
  const dir = path.join(outdir, cluster);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter(isIpPoolFile).sort();
  } catch {
    return [];
  }
  const out: Array<readonly [string, Buffer]> = [];
  for (const name of names) {
    try {
      out.push([name, fs.readFileSync(path.join(dir, name))]);
    } catch {
      // gone meanwhile, or not a file: nothing to compare with
    }
  }
  return out;
}

function fingerprintOf(files: ReadonlyArray<readonly [string, Buffer]>): string {
  const hash = crypto.createHash('sha256');
  for (const [name, bytes] of files) hash.update(name).update('\0').update(`${bytes.length}\0`).update(bytes);
  return hash.digest('hex').slice(0, 32);
}

function poolsOf(files: ReadonlyArray<readonly [string, Buffer]>): PreviousRender['ipPools'] {
  const ipPools: Array<{ name: string; cidr: string; blockSize?: number }> = [];
  for (const [, bytes] of files) {
    let doc: unknown;
    try {
      doc = parse(bytes.toString('utf8'));
    } catch {
      // A file netscale did not write, or one edited by hand: nothing to compare with.
      continue;
    }
    const o = doc as { kind?: unknown; metadata?: { name?: unknown }; spec?: { cidr?: unknown; blockSize?: unknown } } | null;
    if (o?.kind !== 'IPPool' || typeof o.metadata?.name !== 'string' || typeof o.spec?.cidr !== 'string') continue;
    ipPools.push({ name: o.metadata.name, cidr: o.spec.cidr, ...(typeof o.spec.blockSize === 'number' ? { blockSize: o.spec.blockSize } : {}) });
  }
  return ipPools;
}
