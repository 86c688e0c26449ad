/**
 * The command line: commands, their options, and the help that lists them all. Parsing only;
 * main.ts runs what it returns.
 */
import { closest } from '../profile/zod-findings';

export const PROGRAM = 'netscale';

export type Command =
  | { readonly kind: 'synth' | 'check' | 'diff'; readonly cluster?: string; readonly full: boolean; readonly verbose: boolean }
  | { readonly kind: 'explain'; readonly file: string }
  | {
      readonly kind: 'import';
      readonly files: readonly string[];
      readonly name: string;
      readonly platform?: string;
      readonly ciliumValues?: string;
      readonly ciliumVersion?: string;
      readonly out?: string;
    }
  | { readonly kind: 'help'; readonly topic?: string }
  | { readonly kind: 'version' };

export class UsageError extends Error {}

interface OptionSpec {
  readonly name: string;
  /** Placeholder of its value; none for a flag. */
  readonly value?: string;
  readonly help: string;
}

interface CommandSpec {
  readonly name: string;
  readonly args: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Lines after the options. */
  readonly notes?: readonly string[];
}

const CLUSTER_OPTION: OptionSpec = {
  name: '--cluster',
  value: 'NAME',
  help: 'only this cluster (also CLUSTER=NAME); the fleet-wide files are left to a full run',
};
const FULL_OPTION: OptionSpec = { name: '--full', help: 'render every profile, reusing nothing from earlier runs' };
const VERBOSE_OPTION: OptionSpec = { name: '--verbose', help: 'print every warning instead of one line per rule' };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'synth',
    args: '[--cluster NAME] [--full] [--verbose]',
    summary: 'render every profile into dist/ (the default command); writes only files whose bytes change',
    options: [CLUSTER_OPTION, FULL_OPTION, VERBOSE_OPTION],
    notes: ['A bad profile, or a SIGINT before the write, leaves dist/ as it was.'],
  },
  {
    name: 'check',
    args: '[--cluster NAME] [--full] [--verbose]',
    summary: 'render in memory and compare with dist/: exit 0 when fresh, 1 listing every stale, missing or extra file; writes nothing',
    options: [CLUSTER_OPTION, FULL_OPTION, VERBOSE_OPTION],
  },
  {
    name: 'diff',
    args: '[--cluster NAME] [--full] [--verbose]',
    summary: 'print the unified diff between dist/ and what synth would write; writes nothing',
    options: [CLUSTER_OPTION, FULL_OPTION, VERBOSE_OPTION],
    notes: ['Exit 0 when dist/ is fresh, 1 when there is a difference or a problem.'],
  },
  {
    name: 'explain',
    args: 'PROFILE',
    summary: 'print one profile resolved (defaults applied, sizing done) and its review; writes nothing',
    options: [],
  },
  {
    name: 'import',
    args: '[FILE...] --name NAME [--platform ack|kubeadm|k3s] [--cilium-values FILE] [--cilium-version X.Y.Z] [--out FILE]',
    summary: 'start a profile from what a cluster runs: read kubectl get -o yaml output (files, or - / nothing for stdin)',
    options: [
      { name: '--name', value: 'NAME', help: 'the cluster name (metadata.name), required' },
      { name: '--platform', value: 'PLATFORM', help: 'ack, kubeadm or k3s, only when the Node list cannot tell' },
      { name: '--cilium-values', value: 'FILE', help: 'the output of helm get values cilium -o yaml' },
      { name: '--cilium-version', value: 'X.Y.Z', help: 'the Cilium chart version, when the values do not pin the image' },
      { name: '--out', value: 'FILE', help: 'write the profile there (never over an existing file) instead of printing it' },
    ],
    notes: [
      'Reads the kube-proxy or kube-proxy-worker ConfigMap, eni-config, calico-config, Calico IPPools,',
      'BGPConfiguration, BGPPeers and FelixConfiguration, the calico-node DaemonSet, and the Node list, e.g.',
      '  kubectl -n kube-system get cm kube-proxy eni-config -o yaml > cm.yaml; kubectl get nodes -o yaml > nodes.yaml',
      'Credentials found in the dumps are never copied.',
    ],
  },
  { name: 'help', args: '[COMMAND]', summary: "this help, or one command's", options: [] },
  { name: 'version', args: '', summary: "netscale's version (also --version)", options: [] },
];

export const ENVIRONMENT: ReadonlyArray<readonly [string, string]> = [
  ['CLUSTERS_DIR', 'folder of ClusterProfile files (default clusters)'],
  ['CDK8S_OUTDIR', 'output folder (default dist)'],
  ['CLUSTER', 'same as --cluster NAME'],
  ['NETSCALE_CACHE_DIR', "netscale's cache folder: the bundle bin/netscale.js runs, and render/ (default node_modules/.cache/netscale)"],
  ['NETSCALE_RENDER_CACHE', 'where synth keeps rendered clusters for reuse (default render/ in the cache folder); off to disable'],
  ['NETSCALE_WORKERS', 'threads that render a large fleet (default one per core, at most 4; 1 renders in this thread only)'],
  ['NETSCALE_DEBUG', 'set to 1 to print the stack of an unexpected failure'],
];

/** The help for everything, or for one command. */
export function helpText(topic?: string): string {
  if (topic !== undefined) {
    const spec = COMMANDS.find((c) => c.name === topic);
    if (!spec)
      throw new UsageError(
        `help: no command ${JSON.stringify(topic)}${hint(
          topic,
          COMMANDS.map((c) => c.name),
        )}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      );
    const lines = [`usage: ${PROGRAM} ${spec.name}${spec.args ? ` ${spec.args}` : ''}`, '', `${spec.summary}.`];
    if (spec.options.length > 0) lines.push('', 'options:', ...optionLines(spec.options));
    if (spec.notes) lines.push('', ...spec.notes);
    return `${lines.join('\n')}\n`;
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    `usage: ${PROGRAM} [COMMAND] [OPTIONS]   (npm run COMMAND -- [OPTIONS])`,
    '',
    'ClusterProfiles in clusters/ to reviewed Kubernetes YAML in dist/.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run ${PROGRAM} help COMMAND for a command's options.`,
    '',
    'environment:',
    ...ENVIRONMENT.map(([name, text]) => `  ${name.padEnd(18)}  ${text}`),
  ];
  return `${lines.join('\n')}\n`;
}

function optionLines(options: readonly OptionSpec[]): string[] {
  const left = options.map((o) => `${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `  ${left[i].padEnd(width)}  ${o.help}`);
}

function hint(word: string, candidates: readonly string[]): string {
  const bare = word.replace(/^-+/, '');
  const c =
    closest(word, candidates) ??
    candidates.find((name) => bare.length >= 3 && (bare.startsWith(name.replace(/^-+/, '')) || name.replace(/^-+/, '').startsWith(bare)));
  return c ? ` (did you mean ${JSON.stringify(c)}?)` : '';
}

/** argv (without node and the script) to a command; `env` supplies CLUSTER. Throws `UsageError`. */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  const [first, ...rest] = argv;
  if (first === undefined) return synthLike('synth', [], env);
  if (first === '--help' || first === '-h') return { kind: 'help' };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first.startsWith('-')) return synthLike('synth', argv, env);
  switch (first) {
    case 'synth':
    case 'check':
    case 'diff':
      return synthLike(first, rest, env);
    case 'explain':
      return explain(rest);
    case 'import':
      return importCommand(rest);
    case 'help':
      if (rest.length > 1) throw new UsageError(`help takes one command name; run ${PROGRAM} --help`);
      return { kind: 'help', topic: rest[0] };
    case 'version':
      return { kind: 'version' };
    default:
      throw new UsageError(
        `unknown command ${JSON.stringify(first)}${hint(
          first,
          COMMANDS.map((c) => c.name),
        )}; run ${PROGRAM} --help for the commands`,
      );
  }
}

/** Options of one command: `--name value`, `--name=value` and flags; the rest are positional. */
function readOptions(
  command: string,
  argv: readonly string[],
  known: readonly OptionSpec[],
): { values: Map<string, string>; flags: Set<string>; positional: string[] } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new HelpRequest(command);
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = known.find((o) => o.name === name);
    if (!spec) {
      throw new UsageError(
        `unknown option ${JSON.stringify(name)} for ${command}${hint(
          name,
          known.map((o) => o.name),
        )}; run ${PROGRAM} help ${command}`,
      );
    }
    if (spec.value === undefined) {
      if (eq >= 0) throw new UsageError(`${name} takes no value`);
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--')))
      throw new UsageError(`${name} needs a value: ${name} ${spec.value}`);
    values.set(name, value);
  }
  return { values, flags, positional };
}

/** Thrown for `COMMAND --help`: main prints that command's help. */
export class HelpRequest extends Error {
  constructor(public readonly topic: string) {
    super(`help for ${topic}`);
  }
}

function synthLike(kind: 'synth' | 'check' | 'diff', argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  const spec = COMMANDS.find((c) => c.name === kind)!;
  const { values, flags, positional } = readOptions(kind, argv, spec.options);
  if (positional.length > 0) throw new UsageError(`${kind} takes no ${JSON.stringify(positional[0])}; run ${PROGRAM} help ${kind}`);
  const cluster = values.get('--cluster') ?? (env.CLUSTER || undefined);
  return { kind, cluster, full: flags.has('--full'), verbose: flags.has('--verbose') };
}

function explain(argv: readonly string[]): Command {
  const { positional } = readOptions('explain', argv, []);
  if (positional.length !== 1) throw new UsageError(`explain takes one profile file, e.g. ${PROGRAM} explain clusters/prod.yaml`);
  return { kind: 'explain', file: positional[0] };
}

function importCommand(argv: readonly string[]): Command {
  const spec = COMMANDS.find((c) => c.name === 'import')!;
  const { values, positional } = readOptions('import', argv, spec.options);
  const name = values.get('--name');
  if (name === undefined) throw new UsageError(`import needs --name NAME, the cluster's name in the profile; run ${PROGRAM} help import`);
  const platform = values.get('--platform');
  if (platform !== undefined && !['ack', 'kubeadm', 'k3s'].includes(platform))
    throw new UsageError(`--platform takes ack, kubeadm or k3s (got ${JSON.stringify(platform)})`);
  return {
    kind: 'import',
    files: positional,
    name,
    platform,
    ciliumValues: values.get('--cilium-values'),
    ciliumVersion: values.get('--cilium-version'),
    out: values.get('--out'),
  };
}
