/**
 * What the last synth left in dist/: the state in git, which Argo CD applied. Rules that refuse
 * changes a component cannot make in place (an IPPool's cidr or blockSize) compare against it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PreviousRender } from '../core/cluster';
import { PreviousRenderLookup } from '../profile/load';
import { MANIFEST_EXTENSION } from './render';

/** Reads `<outdir>/<cluster>/IPPool.*.k8s.yaml` on demand; a cluster without a folder has no past. */
export function previousRenderIn(outdir: string): PreviousRenderLookup {
  return (cluster: string): PreviousRender | undefined => {
    const dir = path.join(outdir, cluster);
    let files: string[];
    try {
      files = fs.readdirSync(dir).filter((f) => f.startsWith('IPPool.') && f.endsWith(MANIFEST_EXTENSION)).sort();
    } catch {
      return undefined;
    }
    const ipPools: Array<{ name: string; cidr: string; blockSize?: number }> = [];
    for (const file of files) {
      let doc: unknown;
      try {
        doc = parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      } catch {
        // A file netscale did not write, or one edited by hand: nothing to compare with.
        continue;
      }
      const o = doc as { kind?: unknown; metadata?: { name?: unknown }; spec?: { cidr?: unknown; blockSize?: unknown } } | null;
      if (o?.kind !== 'IPPool' || typeof o.metadata?.name !== 'string' || typeof o.spec?.cidr !== 'string') continue;
      ipPools.push({ name: o.metadata.name, cidr: o.spec.cidr, ...(typeof o.spec.blockSize === 'number' ? { blockSize: o.spec.blockSize } : {}) });
    }
    return { ipPools };
  };
}
