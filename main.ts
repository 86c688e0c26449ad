/**
 * netscale: every ClusterProfile in $CLUSTERS_DIR (default clusters/) to plain Kubernetes YAML in
 * $CDK8S_OUTDIR (default dist/), with a review per cluster. Run by `npm run synth` and `cdk8s synth`.
 */
import { synthesizeFleet } from './lib/fleet';
import { formatDiagnostic, ProfileError, sortDiagnostics } from './lib/profile/diagnostics';

function main(): number {
  const clustersDir = process.env.CLUSTERS_DIR ?? 'clusters';
  const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
  try {
    const result = synthesizeFleet({ clustersDir, outdir });
    for (const w of sortDiagnostics(result.warnings)) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
    process.stdout.write(`netscale: ${result.clusters.length} cluster${result.clusters.length === 1 ? '' : 's'} synthesized into ${outdir}/ (${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (e) {
    if (e instanceof ProfileError) {
      for (const w of sortDiagnostics(e.diagnostics.filter((d) => d.severity === 'warning'))) process.stderr.write(`warning: ${formatDiagnostic(w)}\n`);
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
    // Anything else is a netscale bug: say so in one line; NETSCALE_DEBUG=1 shows the stack.
    process.stderr.write(`error: netscale failed unexpectedly: ${e instanceof Error ? e.message : String(e)}; dist/ was not changed\n`);
    if (process.env.NETSCALE_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : ''}\n`);
    return 2;
  }
}

process.exitCode = main();
