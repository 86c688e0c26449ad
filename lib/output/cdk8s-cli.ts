/**
 * Where a run writes, and what it may say about the output folder when it writes nothing.
 *
 * `npx cdk8s synth` deletes its output folder before it runs the app (cdk8s-cli,
 * lib/cli/cmds/synth.js: `fs.rmSync(outdir, { recursive: true, force: true })`), so a bad profile
 * on that path would leave dist/ gone. cdk8s.yaml therefore points the CLI at a staging folder:
 * netscale writes dist/ itself, exactly as `npm run synth` does (nothing unless every profile is
 * valid, then only what changed), and copies the files into the staging folder, which is what
 * the CLI lists. An output folder given to the CLI with `--output` is still emptied by the CLI,
 * and a failed run says so instead of claiming the folder was not changed.
 */
import * as path from 'path';

/** cdk8s.yaml's `output`: the folder the CLI empties, never dist/. */
export const CDK8S_STAGING_DIR = 'node_modules/.cache/netscale-cdk8s-out';
export const DEFAULT_OUTDIR = 'dist';

export interface OutputFolders {
  /** Where netscale writes: dist/, or $CDK8S_OUTDIR when it names another folder. */
  readonly outdir: string;
  /** The cdk8s CLI's staging folder, which gets a copy of the files written. */
  readonly mirror?: string;
  /** The cdk8s CLI ran netscale with `outdir` as its own output folder, which it empties first. */
  readonly emptiedByCli: boolean;
}

/** The folders of a run, from its environment. */
export function outputFolders(env: Readonly<Record<string, string | undefined>>): OutputFolders {
  const given = env.CDK8S_OUTDIR;
  if (given !== undefined && path.resolve(given) === path.resolve(CDK8S_STAGING_DIR))
    return { outdir: DEFAULT_OUTDIR, mirror: given, emptiedByCli: false };
  // The CLI sets CDK8S_RECORD_CONSTRUCT_METADATA for every app it runs (cdk8s-cli lib/util.js, synthApp).
  return { outdir: given ?? DEFAULT_OUTDIR, emptiedByCli: given !== undefined && env.CDK8S_RECORD_CONSTRUCT_METADATA !== undefined };
}

/** What a run that wrote nothing can truthfully say about its output folder. */
export function unchangedNote(folders: OutputFolders): string {
  const dir = `${folders.outdir.replace(/\/+$/, '')}/`;
  return folders.emptiedByCli
    ? `nothing was written, but the cdk8s CLI ` +
        `emptied ${dir} before netscale ran (it empties its output folder): run \`npm run synth\` to write it again`
    : `${dir} was not changed`;
}
