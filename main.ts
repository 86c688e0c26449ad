/**
 * netscale: every ClusterProfile in $CLUSTERS_DIR (default clusters/) to plain Kubernetes YAML in
 * $CDK8S_OUTDIR (default dist/), with a review per cluster. Run by `npm run synth` (and the other
 * commands, `npm run <command>`) and by `cdk8s synth` through bin/netscale.js; `--help` lists the
 * commands. The command line itself is lib/cli/main.ts, which tests call in process.
 *
 * No signal handler is installed here: SIGINT, SIGTERM and SIGHUP stop a run at once in any phase
 * before the write, and the write holds them until it is done (lib/output/signals.ts).
 */
import { main } from './lib/cli/main';
import { isRenderWorker, runRenderWorker } from './lib/output/render-pool';

export { main };

if (isRenderWorker()) {
  // A worker thread of a large synth: the same bundle, rendering the profiles it is sent.
  runRenderWorker();
} else {
  main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
