/**
 * netscale: every ClusterProfile in $CLUSTERS_DIR (default clusters/) to plain Kubernetes YAML in
 * $CDK8S_OUTDIR (default dist/), with a review per cluster. Run by `npm run synth` and `cdk8s synth`.
 *
 *   main.ts                      synthesize the fleet
 *   main.ts --cluster <name>     synthesize one cluster (also CLUSTER=<name>)
 *   main.ts explain <profile>    print the resolved profile and its review; write nothing
 */
import { redactCredentials } from './lib/core/credentials';
import { outputFolders, unchangedNote } from './lib/output/cdk8s-cli';
import { explainProfile, FleetResult, stageCluster, stageFleet, StagedSynth } from './lib/output/fleet';
import { OutputError } from './lib/output/output-folder';
import { Diagnostic, formatDiagnostic, ProfileError, sortDiagnostics } from './lib/profile/diagnostics';

const USAGE = 'usage: main.ts [--cluster <name>] | main.ts explain <profile.yaml>';

type Command = { kind: 'synth'; cluster?: string } | { kind: 'explain'; file: string };

function parseArgs(argv: readonly string[]): Command {
  if (argv[0] === 'explain') {
    if (argv.length !== 2) throw new UsageError(`explain takes one profile file; ${USAGE}`);
    return { kind: 'explain', file: argv[1] };
  }
  let cluster = process.env.CLUSTER || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--cluster' && argv[i + 1] !== undefined) cluster = argv[++i];
    else if (arg.startsWith('--cluster=')) cluster = arg.slice('--cluster='.length);
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
  }
  return { kind: 'synth', cluster };
}

class UsageError extends Error {}

function printWarnings(diagnostics: readonly Diagnostic[]): void {
  for (const w of sortDiagnostics(diagnostics.filter((d) => d.severity === 'warning'))) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
}

async function main(): Promise<number> {
  const clustersDir = process.env.CLUSTERS_DIR ?? 'clusters';
  const folders = outputFolders(process.env);
  const { outdir, mirror } = folders;
  let pending: StagedSynth | undefined;
  try {
    const command = parseArgs(process.argv.slice(2));
    if (command.kind === 'explain') {
      const explained = explainProfile(command.file, outdir);
      printWarnings(explained.warnings);
      process.stdout.write(`# Resolved profile\n\n\`\`\`yaml\n${explained.resolved}\`\`\`\n\n${explained.review}`);
      return 0;
    }
    // SIGINT/SIGTERM stop the run at once until the write starts; commit holds them until it is done.
    pending = command.cluster ? stageCluster({ clustersDir, outdir, mirror, cluster: command.cluster }) : stageFleet({ clustersDir, outdir, mirror });
    try {
      const applied = pending.commit();
      if (applied.recovered) process.stderr.write(`netscale: an earlier synth (pid ${applied.recovered.pid}, since ${applied.recovered.since}) was stopped while writing ${outdir}/; this run completed the folder\n`);
    } catch (e) {
      if (e instanceof OutputError) throw e; // refused before anything was written
      process.stderr.write(`error: writing ${outdir}/ failed: ${e instanceof Error ? e.message : String(e)}; some files may be written: fix the cause and run the synth again\n`);
      return 2;
    }
    report(pending.result, outdir, command.cluster);
    return 0;
  } catch (e) {
    if (e instanceof ProfileError) {
      printWarnings(e.diagnostics);
      process.stderr.write(`error: ${ProfileError.render(e.diagnostics, unchangedNote(folders))}\n`);
      return 1;
    }
    if (e instanceof UsageError || e instanceof OutputError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    // Anything else is a netscale bug: say so in one line; NETSCALE_DEBUG=1 shows the stack.
    process.stderr.write(`error: netscale failed unexpectedly: ${redactCredentials(e instanceof Error ? e.message : String(e))}; ${unchangedNote(folders)}\n`);
    if (process.env.NETSCALE_DEBUG) process.stderr.write(`${redactCredentials(e instanceof Error ? (e.stack ?? '') : '')}\n`);
    return 2;
  }
}

function report(result: FleetResult, outdir: string, cluster: string | undefined): void {
  printWarnings(result.warnings);
  const n = result.warnings.filter((d) => d.severity === 'warning').length;
  const what = cluster ? `cluster ${cluster} synthesized into ${outdir}/${cluster}/ (the fleet index and ${outdir}/argocd/ are refreshed by a full synth)` : `${result.clusters.length} cluster${result.clusters.length === 1 ? '' : 's'} synthesized into ${outdir}/`;
  process.stdout.write(`netscale: ${what} (${n} warning${n === 1 ? '' : 's'})\n`);
}

main().then((code) => {
  process.exitCode = code;
});
