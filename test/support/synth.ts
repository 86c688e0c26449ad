/** A fleet of profiles written to a temporary clusters folder and synthesized, as `npm run synth` does. */
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeFleet } from '../../lib/output/fleet';
import { profileYaml, Spec } from './profiles';
import { K8sObject, readManifests } from './validate';

/** `root`/clusters holds one file per profile (name -> spec), synthesized into `root`/dist; returns that folder. */
export function synthProfiles(root: string, profiles: Record<string, Spec>): string {
  const clusters = path.join(root, 'clusters');
  fs.mkdirSync(clusters, { recursive: true });
  for (const [name, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(clusters, `${name}.yaml`), profileYaml(spec, name));
  const out = path.join(root, 'dist');
  synthesizeFleet({ clustersDir: clusters, outdir: out });
  return out;
}

/** One cluster synthesized: the output folder, the objects of its folder (none when it has no folder) and its review. */
export function synthCluster(root: string, spec: Spec, name: string): { out: string; objects: K8sObject[]; review: string } {
  const out = synthProfiles(root, { [name]: spec });
  const dir = path.join(out, name);
  return {
    out,
    objects: fs.existsSync(dir) ? readManifests(dir).map((m) => m.object) : [],
    review: fs.readFileSync(path.join(out, 'reviews', `${name}.md`), 'utf8'),
  };
}
