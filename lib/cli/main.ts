/**
 * netscale's command line, runnable in process: `main(argv, env, io)` returns the exit code and
 * writes only to the streams it is given, so tests call it directly; main.ts at the top runs it
 * for `node bin/netscale.js`.
 *
 * Exit codes: 0 done (check and diff: dist/ is fresh); 1 a problem in the profiles or dumps, or
 * (check, diff) dist/ differs; 2 a usage error, an output folder netscale may not own, or a
 * failure of netscale or the disk. A SIGINT, SIGTERM or SIGHUP before the write stops the run at
 * once (the signal's own exit status), with dist/ as it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { redactCredentials } from '../core/credentials';
import { formatCount } from '../core/format';
import { OutputFolders, outputFolders, unchangedNote } from '../output/cdk8s-cli';
import {
  explainProfile,
  fleetFilesOf,
  fleetParts,
  FleetOptions,
  FleetResult,
  newFleetPass,
  passResult,
  ProfileRenderer,
  stageCluster,
  stageFleet,
  StagedSynth,
} from '../output/fleet';
import { DifferenceListener, FreshnessReport, OutputComparison, unifiedDiff } from '../output/freshness';
import { checkOutputFolder, OUTPUT_MARKER, OUTPUT_MARKER_TEXT, OutputError } from '../output/output-folder';
import { ApplyResult } from '../output/output-tree';
import { RenderCache } from '../output/render-cache';
import { renderPool, renderThreads } from '../output/render-pool';
import { buildFingerprint, NETSCALE_VERSION, projectRoot } from '../output/version';
import { Diagnostic, ProfileError } from '../profile/diagnostics';
import { Command, HelpRequest, helpText, parseArgs, PROGRAM, UsageError } from './args';
import { runImport } from './import';
import { progressReporter, warningLines } from './report';

export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** All of standard input (import reads dumps from it). */
  readonly readStdin: () => string;
}

export type CliEnv = Readonly<Record<string, string | undefined>>;

const PROCESS_IO: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => fs.readFileSync(0, 'utf8'),
};

export async function main(argv: readonly string[], env: CliEnv = process.env, io: Partial<CliIo> = {}): Promise<number> {
  const cli: CliIo = { ...PROCESS_IO, ...io };
  const folders = outputFolders(env);
  let command: Command | undefined;
  try {
    command = parseArgs(argv, env);
    switch (command.kind) {
      case 'help':
        cli.stdout.write(helpText(command.topic));
        return 0;
      case 'version':
        cli.stdout.write(`${PROGRAM} ${NETSCALE_VERSION} (build ${buildFingerprint()})\n`);
        return 0;
      case 'explain': {
        const explained = explainProfile(command.file, folders.outdir);
        for (const line of warningLines(explained.warnings, new Map(), true)) cli.stderr.write(`${line}\n`);
        cli.stdout.write(`# Resolved profile\n\n\`\`\`yaml\n${explained.resolved}\`\`\`\n\n${explained.review}`);
        return 0;
      }
      case 'import':
        return runImport(command, cli);
      case 'synth':
        return synth(command, env, folders, cli);
      case 'check':
      case 'diff':
        return compare(command, env, folders, cli);
    }
  } catch (e) {
    if (e instanceof HelpRequest) {
      cli.stdout.write(helpText(e.topic));
      return 0;
    }
    // Only synth writes dist/; the other commands must not claim to have spared it.
    const spared = command === undefined || command.kind === 'synth' ? unchangedNote(folders) : '';
    if (e instanceof ProfileError) {
      for (const line of warningLines(e.diagnostics, new Map(), false)) cli.stderr.write(`${line}\n`);
      cli.stderr.write(`error: ${ProfileError.render(e.diagnostics, spared)}\n`);
      return 1;
    }
    if (e instanceof UsageError || e instanceof OutputError) {
      cli.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    // Anything else is a netscale bug: say so in one line; NETSCALE_DEBUG=1 shows the stack.
    cli.stderr.write(
      `error: netscale failed unexpectedly: ${redactCredentials(e instanceof Error ? e.message : String(e))}${spared ? `; ${spared}` : ''}\n`,
    );
    if (env.NETSCALE_DEBUG) cli.stderr.write(`${redactCredentials(e instanceof Error ? (e.stack ?? '') : '')}\n`);
    return 2;
  }
}

type FleetCommand = Extract<Command, { kind: 'synth' | 'check' | 'diff' }>;

function clustersDir(env: CliEnv): string {
  return env.CLUSTERS_DIR ?? 'clusters';
}

/**
 * The render cache: $NETSCALE_RENDER_CACHE, or `render/` in netscale's cache folder
 * ($NETSCALE_CACHE_DIR, else node_modules/.cache/netscale beside netscale's package.json); "off"
 * turns it off. Only synth writes it.
 */
function openCache(env: CliEnv, writable: boolean): RenderCache | undefined {
  const setting = env.NETSCALE_RENDER_CACHE;
  if (setting === 'off') return undefined;
  const root = projectRoot();
  const base = env.NETSCALE_CACHE_DIR || (root ? path.join(root, 'node_modules', '.cache', 'netscale') : undefined);
  const dir = setting || (base ? path.join(base, 'render') : undefined);
  if (!dir) return undefined;
  return RenderCache.open(dir, buildFingerprint(), { writable });
}

function printWarnings(cli: CliIo, warnings: readonly Diagnostic[], clusterOfFile: ReadonlyMap<string, string>, verbose: boolean): void {
  for (const line of warningLines(warnings, clusterOfFile, verbose)) cli.stderr.write(`${line}\n`);
}

function warningCount(warnings: readonly Diagnostic[]): string {
  const n = warnings.filter((d) => d.severity === 'warning').length;
  return `${formatCount(n)} warning${n === 1 ? '' : 's'}`;
}

function synth(command: FleetCommand, env: CliEnv, folders: OutputFolders, cli: CliIo): number {
  const renderer = command.cluster ? undefined : renderPool(renderThreads(env.NETSCALE_WORKERS));
  const cache = command.cluster ? undefined : openCache(env, true);
  try {
    return synthWith(command, env, folders, cli, renderer, cache);
  } finally {
    cache?.close();
  }
}

function synthWith(
  command: FleetCommand,
  env: CliEnv,
  folders: OutputFolders,
  cli: CliIo,
  renderer: ProfileRenderer | undefined,
  cache: RenderCache | undefined,
): number {
  const { outdir, mirror } = folders;
  const progress = progressReporter(cli.stderr, 'netscale: rendering');
  const options: FleetOptions = { clustersDir: clustersDir(env), outdir, mirror, full: command.full, onProgress: progress.update };
  let pending: StagedSynth;
  try {
    pending = command.cluster ? stageCluster({ ...options, cluster: command.cluster }) : stageFleet({ ...options, cache }, renderer);
  } finally {
    progress.clear();
  }
  if (cache?.failure !== undefined && env.NETSCALE_DEBUG)
    cli.stderr.write(`netscale: the render cache cannot be written (${cache.failure}); running without it\n`);
  printWarnings(cli, pending.result.warnings, pending.result.clusterOfFile, command.verbose);
  let written: ApplyResult;
  try {
    // SIGINT/SIGTERM/SIGHUP stopped the run at once until here; commit holds them until it is done.
    written = pending.commit();
  } catch (e) {
    if (e instanceof OutputError) throw e; // refused before anything was written
    cli.stderr.write(
      `error: writing ${outdir}/ failed: ${redactCredentials(e instanceof Error ? e.message : String(e))}; some files may be written: fix ` +
        `the cause and run the synth again\n`,
    );
    return 2;
  }
  if (written.recovered)
    cli.stderr.write(
      `netscale: an earlier synth ` +
        `(pid ${written.recovered.pid}, since ${written.recovered.since}) was stopped while writing ${outdir}/; this run completed the folder\n`,
    );
  const r = pending.result;
  const what = command.cluster
    ? `cluster ${command.cluster} synthesized into ${outdir}/${command.cluster}/ (the fleet index ` +
      `and ${outdir}/argocd/ are refreshed by a full synth)`
    : `${formatCount(r.clusters.length)} cluster${r.clusters.length === 1 ? '' : 's'} synthesized into ${outdir}/`;
  const reuse = r.reused > 0 ? `, ${formatCount(r.reused)} reused unchanged` : '';
  const threads = renderer?.threads?.() ?? 0;
  const how = threads > 1 ? `, rendered by ${threads} threads` : '';
  const files = `${formatCount(written.written)} files written, ${formatCount(written.removed)} removed`;
  cli.stdout.write(`netscale: ${what} (${warningCount(r.warnings)}; ${files}${reuse}${how})\n`);
  return 0;
}

/** check and diff: render as synth would, compare with dist/ file by file, write nothing. */
function compare(command: FleetCommand, env: CliEnv, folders: OutputFolders, cli: CliIo): number {
  const { outdir } = folders;
  const clusters = clustersDir(env);
  // Headers name files as git sees them from here (dist/x, not ./dist/x), so `git apply` takes the diff.
  const shown = path.posix.normalize(outdir.split(path.sep).join('/'));
  const listener: DifferenceListener | undefined =
    command.kind === 'diff' ? (rel, _kind, current, wanted) => cli.stdout.write(unifiedDiff(`${shown}/${rel}`, current, wanted)) : undefined;
  let report: FreshnessReport;
  let result: FleetResult;
  if (command.cluster) {
    const staged = stageCluster({ clustersDir: clusters, outdir, cluster: command.cluster });
    result = staged.result;
    const comparison = new OutputComparison(outdir, staged.scope, listener);
    for (const [file, content] of staged.output) comparison.add(file, content);
    report = comparison.finish();
  } else {
    // The folder as synth would own it, or synth's refusal (stageCluster asks the same on the path above):
    // comparing with a folder synth would never write proves nothing.
    checkOutputFolder(outdir, { clustersDir: clusters });
    const progress = progressReporter(cli.stderr, `netscale: ${command.kind === 'check' ? 'checking' : 'comparing'}`);
    const cache = openCache(env, false);
    const options: FleetOptions = { clustersDir: clusters, outdir, full: command.full, cache, onProgress: progress.update };
    const pass = newFleetPass();
    const comparison = new OutputComparison(outdir, undefined, listener);
    const renderer = renderPool(renderThreads(env.NETSCALE_WORKERS));
    try {
      for (const part of fleetParts(options, pass, renderer)) {
        for (const [file, content] of part.files) comparison.add(file, content);
      }
      result = passResult(pass);
      for (const [file, content] of fleetFilesOf(pass, outdir, cache)) comparison.add(file, content);
      // The marker is part of dist/: a synth writes it where it is missing.
      comparison.add(OUTPUT_MARKER, OUTPUT_MARKER_TEXT);
      report = comparison.finish();
    } finally {
      renderer?.close?.();
      progress.clear();
      cache?.close();
    }
  }
  printWarnings(cli, result.warnings, result.clusterOfFile, command.verbose);
  const differences = report.stale.length + report.missing.length + report.extra.length;
  const scope = command.cluster ? `cluster ${command.cluster} in ${outdir}/` : `${outdir}/`;
  if (differences === 0) {
    const what = command.cluster ? scope : `${outdir}/ (${formatCount(result.clusters.length)} cluster${result.clusters.length === 1 ? '' : 's'})`;
    cli.stderr.write(`netscale: ${what} is up to date with the profiles in ${clusters}/ (${warningCount(result.warnings)})\n`);
    return 0;
  }
  if (command.kind === 'check') {
    const lines = [
      ...report.stale.map((f) => `  stale    ${outdir}/${f}`),
      ...report.missing.map((f) => `  missing  ${outdir}/${f}`),
      ...report.extra.map((f) => `  extra    ${outdir}/${f}`),
    ];
    cli.stderr.write(
      `error: ${scope} is not what the profiles ` +
        `render: ${formatCount(differences)} file${differences === 1 ? '' : 's'} differ\n${lines.join('\n')}\n`,
    );
    cli.stderr.write(
      `run npm run synth${command.cluster ? ` -- --cluster ${command.cluster}` : ''} and commit ${outdir}/ (npm run diff shows the changes)\n`,
    );
  } else {
    cli.stderr.write(
      `netscale: ${formatCount(differences)} file${differences === 1 ? '' : 's'} of ${scope} differ from what synth would ` +
        `write (${report.stale.length} changed, ${report.missing.length} new, ${report.extra.length} to delete)\n`,
    );
  }
  return 1;
}
