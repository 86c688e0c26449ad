/**
 * conntrack table sizing as kube-proxy applies it, a small pure function the rules, the construct,
 * the review and the alerts share.
 */
import { INT32_MAX } from '../../core/cluster';
import { Decision } from '../../core/decision';
import { formatMebibytes } from '../../core/format';
import { REFERENCES } from '../../core/references';

/** kube-proxy's conntrack defaults (KubeProxyConfiguration v1alpha1 defaulting). */
export const KUBE_PROXY_CONNTRACK_DEFAULTS = {
  maxPerCore: 32768,
  min: 131072,
  tcpEstablishedTimeout: '24h0m0s',
  tcpCloseWaitTimeout: '1h0m0s',
} as const;

/**
 * Planning figure for one conntrack entry, in bytes. An estimate: /proc/slabinfo shows the
 * nf_conntrack object at about 300 bytes (304 measured) and the size varies with kernel and
 * build; 320 leaves headroom. Measure `grep nf_conntrack /proc/slabinfo` on your nodes.
 */
export const CONNTRACK_BYTES_PER_ENTRY = 320;

export interface ConntrackSizingInput {
  readonly cpuPerNode: number;
  /** Target nf_conntrack_max: maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax. */
  readonly conntrackMax?: number;
  /** conntrack.maxPerCore, explicit; 0 leaves the kernel's limit alone. */
  readonly conntrackMaxPerCore?: number;
  /** conntrack.min, explicit. */
  readonly conntrackMin?: number;
}

/** The profile field a conntrack problem comes from. */
export type ConntrackField = 'conntrackMax' | 'conntrackMaxPerCore' | 'conntrackMin';

export interface ConntrackProblem {
  readonly severity: 'error' | 'warning';
  readonly field: ConntrackField;
  readonly message: string;
}

export interface ConntrackSizing {
  /** conntrack.maxPerCore to render. */
  readonly maxPerCore: number;
  /** conntrack.min to render. */
  readonly min: number;
  /** nf_conntrack_max kube-proxy sets: max(maxPerCore x cpus, min); undefined when maxPerCore is 0. */
  readonly effectiveMax: number | undefined;
  /** Estimated kernel memory of a full table (effectiveMax x CONNTRACK_BYTES_PER_ENTRY). */
  readonly memoryBytes: number | undefined;
  readonly decisions: readonly Decision[];
  /** int32 overflows (errors) and a limit below kube-proxy's default (warning). */
  readonly problems: readonly ConntrackProblem[];
}

/**
 * conntrack sizing as kube-proxy applies it: it sets nf_conntrack_max to
 * max(maxPerCore x cpus, min) at start, overwriting a hand-set sysctl (seed 002).
 * Throws when conntrackMax is combined with conntrackMaxPerCore or conntrackMin: the profile
 * rules reject that before sizing runs.
 */
export function conntrackSizing(input: ConntrackSizingInput): ConntrackSizing {
  const cpu = input.cpuPerNode;
  if (!Number.isInteger(cpu) || cpu < 1) throw new Error(`conntrackSizing: cpuPerNode must be a whole number of at least 1 (got ${cpu})`);
  if (input.conntrackMax !== undefined && (input.conntrackMaxPerCore !== undefined || input.conntrackMin !== undefined)) {
    throw new Error('conntrackSizing: give conntrackMax, or conntrackMaxPerCore and conntrackMin, not both');
  }
  const decisions: Decision[] = [];
  const problems: ConntrackProblem[] = [];
  // kube-proxy sets nf_conntrack_max = max(maxPerCore x cpus, min) when it starts.
  const source = [REFERENCES.kubeProxyFlags, REFERENCES.conntrackSysctl];
  const fromMax = input.conntrackMax !== undefined;

  let maxPerCore: number;
  let min: number;
  if (input.conntrackMax !== undefined) {
    maxPerCore = Math.ceil(input.conntrackMax / cpu);
    min = input.conntrackMax;
    decisions.push({
      name: 'conntrack.maxPerCore',
      value: maxPerCore,
      rule: `maxPerCore = ceil(${input.conntrackMax} / ${cpu}) = ${maxPerCore}`,
      source,
    });
    decisions.push({ name: 'conntrack.min', value: min, rule: `min = conntrackMax = ${min}`, source });
  } else {
    maxPerCore = input.conntrackMaxPerCore ?? KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore;
    min = input.conntrackMin ?? KUBE_PROXY_CONNTRACK_DEFAULTS.min;
    decisions.push({
      name: 'conntrack.maxPerCore',
      value: maxPerCore,
      rule: input.conntrackMaxPerCore !== undefined ? `set explicitly to ${maxPerCore}` : `kube-proxy default ${maxPerCore}`,
    });
    decisions.push({
      name: 'conntrack.min',
      value: min,
      rule: input.conntrackMin !== undefined ? `set explicitly to ${min}` : `kube-proxy default ${min}`,
    });
  }

  const perCoreField: ConntrackField = fromMax ? 'conntrackMax' : 'conntrackMaxPerCore';
  const minField: ConntrackField = fromMax ? 'conntrackMax' : 'conntrackMin';
  if (maxPerCore > INT32_MAX)
    problems.push({ severity: 'error', field: perCoreField, message: `conntrack.maxPerCore ${maxPerCore} exceeds the int32 limit ${INT32_MAX}` });
  if (min > INT32_MAX) problems.push({ severity: 'error', field: minField, message: `conntrack.min ${min} exceeds the int32 limit ${INT32_MAX}` });

  if (maxPerCore === 0) {
    decisions.push({
      name: 'nf_conntrack_max',
      value: 0,
      rule: 'maxPerCore 0: kube-proxy leaves nf_conntrack_max and min alone (the kernel or sysctl value stays)',
      source,
    });
    return { maxPerCore, min, effectiveMax: undefined, memoryBytes: undefined, decisions, problems };
  }

  const scaled = maxPerCore * cpu;
  const effectiveMax = Math.max(scaled, min);
  if (scaled > INT32_MAX) {
    problems.push({
      severity: 'error',
      field: perCoreField,
      message:
        `maxPerCore ${maxPerCore} x ${cpu} CPUs = ${scaled} exceeds the int32 ` + `limit ${INT32_MAX}: the kernel refuses nf_conntrack_max above it`,
    });
  }
  const defaultMax = Math.max(KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore * cpu, KUBE_PROXY_CONNTRACK_DEFAULTS.min);
  if (effectiveMax < defaultMax) {
    problems.push({
      severity: 'warning',
      field: perCoreField,
      message:
        `nf_conntrack_max would be ${effectiveMax} (max(${maxPerCore} x ${cpu}, ${min})), below kube-proxy's default ${defaultMax} ` +
        `(max(${KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore} x ${cpu}, ${KUBE_PROXY_CONNTRACK_DEFAULTS.min})) on ${cpu}-CPU nodes: ` +
        'a full table drops new connections',
    });
  }
  const memoryBytes = effectiveMax * CONNTRACK_BYTES_PER_ENTRY;
  decisions.push({ name: 'nf_conntrack_max', value: effectiveMax, rule: `max(${maxPerCore} x ${cpu}, ${min}) = ${effectiveMax}`, source });
  decisions.push({
    name: 'conntrack memory per node (estimate)',
    value: formatMebibytes(memoryBytes),
    rule:
      `${effectiveMax} entries x ${CONNTRACK_BYTES_PER_ENTRY} bytes = ${formatMebibytes(memoryBytes)} when the table is full (planning ` +
      `figure; slabinfo shows ~300 bytes per entry)`,
    capacity: true,
  });
  return { maxPerCore, min, effectiveMax, memoryBytes, decisions, problems };
}
