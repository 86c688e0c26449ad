import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { parse, stringify } from 'yaml';
import { error, FieldPath, Finding, warning } from './profile/diagnostics';
import { goDuration, IPVS_SCHEDULERS } from './profile/schema';
import type { Cni, KubeProxySpec, Platform } from './profile/schema';
import { conntrackSizing, ConntrackSizingInput, INT32_MAX, KUBE_PROXY_CONNTRACK_DEFAULTS } from './sizing';
import { SHARED_OBJECT_SYNC_OPTIONS } from './terway-eni-config';

export const KUBE_PROXY_API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';
export const KUBE_PROXY_KIND = 'KubeProxyConfiguration';

export type KubeProxyMode = 'ipvs' | 'nftables';
export type IpvsScheduler = (typeof IPVS_SCHEDULERS)[number];

/** Where kube-proxy reads its configuration on a platform that runs it as a DaemonSet. */
export interface KubeProxyPreset {
  readonly configMapName: string;
  readonly configMapKey: string;
  readonly daemonSet: string;
  /** clientConnection.kubeconfig: the DaemonSet mounts the ConfigMap at /var/lib/kube-proxy. */
  readonly kubeconfig: string;
}

/** kubeadm's ConfigMap also holds kubeconfig.conf; ACK's DaemonSet is kube-proxy-worker. */
export const KUBE_PROXY_PRESETS: Readonly<Record<'kubeadm' | 'ack', KubeProxyPreset>> = {
  kubeadm: { configMapName: 'kube-proxy', configMapKey: 'config.conf', daemonSet: 'kube-proxy', kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
  ack: { configMapName: 'kube-proxy-worker', configMapKey: 'config.conf', daemonSet: 'kube-proxy-worker', kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
};

/** k3s runs kube-proxy inside its own process, configured by `kube-proxy-arg` in this file. */
export const K3S_CONFIG_FILE = '/etc/rancher/k3s/config.yaml';

/**
 * Every field KubeProxyConfiguration v1alpha1 has, by parent path (kubernetes/kubernetes
 * staging/src/k8s.io/kube-proxy/config/v1alpha1/types.go and component-base's client and
 * logging types). `featureGates` is a map of gate names and is not listed further.
 */
export const KUBE_PROXY_CONFIGURATION_FIELDS: Readonly<Record<string, readonly string[]>> = {
  '': [
    'apiVersion',
    'kind',
    'featureGates',
    'clientConnection',
    'logging',
    'hostnameOverride',
    'bindAddress',
    'healthzBindAddress',
    'metricsBindAddress',
    'bindAddressHardFail',
    'enableProfiling',
    'showHiddenMetricsForVersion',
    'mode',
    'iptables',
    'ipvs',
    'nftables',
    'winkernel',
    'detectLocalMode',
    'detectLocal',
    'clusterCIDR',
    'nodePortAddresses',
    'oomScoreAdj',
    'conntrack',
    'configSyncPeriod',
    'portRange',
    'windowsRunAsService',
  ],
  clientConnection: ['kubeconfig', 'acceptContentTypes', 'contentType', 'qps', 'burst'],
  logging: ['format', 'flushFrequency', 'verbosity', 'vmodule', 'options'],
  'logging.vmodule[]': ['filePattern', 'verbosity'],
  'logging.options': ['text', 'json'],
  'logging.options.text': ['splitStream', 'infoBufferSize'],
  'logging.options.json': ['splitStream', 'infoBufferSize'],
  // snatNodeInternalIP exists only in the newest releases.
  iptables: ['masqueradeBit', 'masqueradeAll', 'localhostNodePorts', 'snatNodeInternalIP', 'syncPeriod', 'minSyncPeriod'],
  ipvs: ['syncPeriod', 'minSyncPeriod', 'scheduler', 'excludeCIDRs', 'strictARP', 'tcpTimeout', 'tcpFinTimeout', 'udpTimeout'],
  nftables: ['masqueradeBit', 'masqueradeAll', 'syncPeriod', 'minSyncPeriod'],
  conntrack: ['maxPerCore', 'min', 'tcpEstablishedTimeout', 'tcpCloseWaitTimeout', 'tcpBeLiberal', 'udpTimeout', 'udpStreamTimeout'],
  winkernel: ['networkName', 'sourceVip', 'enableDSR', 'rootHnsEndpointName', 'forwardHealthCheckVip'],
  detectLocal: ['bridgeInterface', 'interfaceNamePrefix'],
};

/** Fields kube-proxy reads only in IPVS mode, by their profile and construct names. */
export const IPVS_ONLY_FIELDS = ['scheduler', 'strictARP', 'excludeCIDRs', 'udpTimeout', 'tcpTimeout', 'tcpFinTimeout'] as const;

/** The fields netscale tunes; everything else comes from `baseConfig` or the defaults. */
export interface KubeProxyTuning {
  /**
   * Proxy mode. nftables needs Kubernetes 1.31 or newer.
   * @default 'ipvs'
   */
  readonly mode?: KubeProxyMode;
  /**
   * ipvs.scheduler (IPVS mode only); seed 002 uses lc for busy data planes.
   * @default - kept from baseConfig, else 'rr'
   */
  readonly scheduler?: IpvsScheduler;
  /**
   * ipvs.syncPeriod or nftables.syncPeriod (by mode): the full resync interval, a Go duration.
   * @default - kept from baseConfig, else '30s'
   */
  readonly syncPeriod?: string;
  /**
   * ipvs.minSyncPeriod or nftables.minSyncPeriod (by mode); 0s resyncs on every endpoint change.
   * @default - kept from baseConfig, else '1s'
   */
  readonly minSyncPeriod?: string;
  /**
   * ipvs.strictARP (IPVS mode only), needed by MetalLB and kube-vip.
   * @default - kept from baseConfig, else false
   */
  readonly strictARP?: boolean;
  /**
   * ipvs.excludeCIDRs (IPVS mode only): IPVS rules kube-proxy leaves alone.
   * @default - kept from baseConfig, else not set
   */
  readonly excludeCIDRs?: readonly string[];
  /**
   * ipvs.udpTimeout (IPVS mode only); 0s keeps the kernel's value.
   * @default - kept from baseConfig, else '0s'
   */
  readonly udpTimeout?: string;
  /**
   * ipvs.tcpTimeout (IPVS mode only); 0s keeps the kernel's value.
   * @default - kept from baseConfig, else '0s'
   */
  readonly tcpTimeout?: string;
  /**
   * ipvs.tcpFinTimeout (IPVS mode only); 0s keeps the kernel's value.
   * @default - kept from baseConfig, else '0s'
   */
  readonly tcpFinTimeout?: string;
  /**
   * conntrack.maxPerCore; 0 leaves nf_conntrack_max alone. Use `conntrackSizing()` to derive it.
   * @default - kept from baseConfig, else 32768
   */
  readonly conntrackMaxPerCore?: number;
  /**
   * conntrack.min.
   * @default - kept from baseConfig, else 131072
   */
  readonly conntrackMin?: number;
  /**
   * conntrack.tcpEstablishedTimeout.
   * @default - kept from baseConfig, else '24h0m0s'
   */
  readonly tcpEstablishedTimeout?: string;
  /**
   * conntrack.tcpCloseWaitTimeout.
   * @default - kept from baseConfig, else '1h0m0s'
   */
  readonly tcpCloseWaitTimeout?: string;
  /**
   * clusterCIDR: the pod network, for telling local from external traffic.
   * @default - kept from baseConfig, else not set
   */
  readonly clusterCIDR?: string;
  /**
   * metricsBindAddress, host:port.
   * @default - kept from baseConfig, else '127.0.0.1:10249'
   */
  readonly metricsBindAddress?: string;
}

export interface KubeProxyConfigurationOptions {
  /**
   * The cluster's current KubeProxyConfiguration as YAML: every field it has is kept and only
   * the tuned fields change.
   * @default - none: a complete configuration from netscale's defaults
   */
  readonly baseConfig?: string;
  /**
   * clientConnection.kubeconfig when there is no baseConfig.
   * @default '/var/lib/kube-proxy/kubeconfig.conf'
   */
  readonly kubeconfigPath?: string;
}

export interface KubeProxyIpvsTuningProps extends KubeProxyTuning, KubeProxyConfigurationOptions {
  /**
   * kubeadm: ConfigMap kube-system/kube-proxy. ack: kube-system/kube-proxy-worker. k3s: no
   * object; the settings become `kube-proxy-arg` entries (see `k3sArgs`).
   * @default 'kubeadm'
   */
  readonly platform?: Platform;
  /**
   * Namespace of the ConfigMap.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * ConfigMap kube-proxy reads.
   * @default - the platform's: kube-proxy (kubeadm), kube-proxy-worker (ack)
   */
  readonly configMapName?: string;
  /**
   * Key of the KubeProxyConfiguration in the ConfigMap.
   * @default 'config.conf'
   */
  readonly configMapKey?: string;
}

type Config = Record<string, unknown>;

/**
 * kube-proxy tuning (seed 002): IPVS scheduler, sync periods and conntrack sizing in the
 * KubeProxyConfiguration kube-proxy reads. The ConfigMap is a server-side-apply patch owning
 * only the configuration key, so kubeadm's kubeconfig.conf in the same ConfigMap stays. kube-proxy
 * reads it only at start: restart the DaemonSet after a change (`kubeProxyRestartStep`).
 */
export class KubeProxyIpvsTuning extends Construct {
  public readonly platform: Platform;
  public readonly mode: KubeProxyMode;
  /** The KubeProxyConfiguration as an object (empty on k3s, which takes flags). */
  public readonly configuration: Readonly<Config>;
  /** The rendered `config.conf` (empty on k3s). */
  public readonly configYaml: string;
  /** The ConfigMap patch; undefined on k3s. */
  public readonly configMap?: k8s.KubeConfigMap;
  /** `kube-proxy-arg` entries for k3s's config file; empty elsewhere. */
  public readonly k3sArgs: readonly string[];
  /** What to run after the change is applied. */
  public readonly restartStep: string;

  constructor(scope: Construct, id: string, props: KubeProxyIpvsTuningProps = {}) {
    super(scope, id);
    this.platform = props.platform ?? 'kubeadm';
    this.mode = props.mode ?? 'ipvs';
    validateTuning(props);

    if (this.platform === 'k3s') {
      if (props.baseConfig !== undefined || props.configMapName !== undefined || props.configMapKey !== undefined) {
        throw new Error(`KubeProxyIpvsTuning on k3s: kube-proxy runs inside k3s and is configured by kube-proxy-arg in ${K3S_CONFIG_FILE}; baseConfig, configMapName and configMapKey do not apply`);
      }
      this.configuration = {};
      this.configYaml = '';
      this.k3sArgs = k3sKubeProxyArgs(props);
      this.restartStep = kubeProxyRestartStep('k3s', { k3sArgs: this.k3sArgs });
      return;
    }

    const preset = KUBE_PROXY_PRESETS[this.platform];
    const key = props.configMapKey ?? preset.configMapKey;
    this.configuration = presetConfiguration(this.platform, props);
    this.configYaml = renderKubeProxyConfiguration(this.configuration);
    this.k3sArgs = [];
    const namespace = props.namespace ?? 'kube-system';
    this.restartStep = kubeProxyRestartStep(this.platform, { namespace });
    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: {
        name: props.configMapName ?? preset.configMapName,
        namespace,
        // Server-side apply owns only this key: kubeadm keeps kubeconfig.conf in the same
        // ConfigMap, and deleting the app must never take kube-proxy's configuration with it.
        annotations: { 'argocd.argoproj.io/sync-options': SHARED_OBJECT_SYNC_OPTIONS },
      },
      data: { [key]: this.configYaml },
    });
  }
}

/** Constructor checks: every problem with the value and what would be valid. */
function validateTuning(t: KubeProxyTuning): void {
  const mode = t.mode ?? 'ipvs';
  if (mode !== 'ipvs' && mode !== 'nftables') throw new Error(`KubeProxyIpvsTuning mode must be ipvs or nftables (got ${JSON.stringify(mode)})`);
  if (t.scheduler !== undefined && !(IPVS_SCHEDULERS as readonly string[]).includes(t.scheduler)) {
    throw new Error(`KubeProxyIpvsTuning scheduler must be an IPVS scheduler: ${IPVS_SCHEDULERS.join(', ')} (got ${JSON.stringify(t.scheduler)})`);
  }
  if (mode === 'nftables') {
    const ipvsOnly = IPVS_ONLY_FIELDS.filter((f) => t[f] !== undefined);
    if (ipvsOnly.length > 0) throw new Error(`KubeProxyIpvsTuning: ${ipvsOnly.join(', ')} apply to IPVS mode only, not nftables`);
  }
  for (const field of ['syncPeriod', 'minSyncPeriod', 'udpTimeout', 'tcpTimeout', 'tcpFinTimeout', 'tcpEstablishedTimeout', 'tcpCloseWaitTimeout'] as const) {
    const value = t[field];
    if (value !== undefined && !goDuration.safeParse(value).success) throw new Error(`KubeProxyIpvsTuning ${field} must be a Go duration such as 30s, 1m30s or 250ms (got ${JSON.stringify(value)})`);
  }
  for (const field of ['conntrackMaxPerCore', 'conntrackMin'] as const) {
    const value = t[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > INT32_MAX)) {
      throw new Error(`KubeProxyIpvsTuning ${field} must be a whole number from 0 to ${INT32_MAX} (got ${value})`);
    }
  }
}

/**
 * The KubeProxyConfiguration netscale renders: `baseConfig` (or, without one, complete defaults)
 * with the tuned fields laid over it. Pure; throws on a baseConfig that is not a
 * KubeProxyConfiguration.
 */
export function kubeProxyConfiguration(tuning: KubeProxyTuning, options: KubeProxyConfigurationOptions = {}): Config {
  const mode = tuning.mode ?? 'ipvs';
  const base = options.baseConfig !== undefined ? parseBaseConfig(options.baseConfig) : defaultKubeProxyConfiguration(mode, options.kubeconfigPath ?? KUBE_PROXY_PRESETS.kubeadm.kubeconfig);
  return mergeConfig(base, tunedFields(tuning));
}

/** The KubeProxyConfiguration a platform's kube-proxy gets from these props (its kubeconfig path by default). */
function presetConfiguration(platform: 'kubeadm' | 'ack', props: KubeProxyIpvsTuningProps): Config {
  return kubeProxyConfiguration(props, { baseConfig: props.baseConfig, kubeconfigPath: props.kubeconfigPath ?? KUBE_PROXY_PRESETS[platform].kubeconfig });
}

/**
 * The `config.conf` text the construct renders for these props, without building it: what a
 * restart is keyed on. Undefined on k3s, which takes flags.
 */
export function kubeProxyConfigYaml(props: KubeProxyIpvsTuningProps): string | undefined {
  const platform = props.platform ?? 'kubeadm';
  return platform === 'k3s' ? undefined : renderKubeProxyConfiguration(presetConfiguration(platform, props));
}

/** A complete configuration with kube-proxy's own defaults, for clusters without a baseConfig. */
export function defaultKubeProxyConfiguration(mode: KubeProxyMode, kubeconfigPath: string): Config {
  const sync = { syncPeriod: '30s', minSyncPeriod: '1s' };
  return {
    apiVersion: KUBE_PROXY_API_VERSION,
    kind: KUBE_PROXY_KIND,
    bindAddress: '0.0.0.0',
    bindAddressHardFail: false,
    clientConnection: { acceptContentTypes: '', burst: 10, contentType: 'application/vnd.kubernetes.protobuf', kubeconfig: kubeconfigPath, qps: 5 },
    configSyncPeriod: '15m0s',
    conntrack: {
      maxPerCore: KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore,
      min: KUBE_PROXY_CONNTRACK_DEFAULTS.min,
      tcpCloseWaitTimeout: KUBE_PROXY_CONNTRACK_DEFAULTS.tcpCloseWaitTimeout,
      tcpEstablishedTimeout: KUBE_PROXY_CONNTRACK_DEFAULTS.tcpEstablishedTimeout,
    },
    enableProfiling: false,
    healthzBindAddress: '0.0.0.0:10256',
    hostnameOverride: '',
    // IPVS mode masquerades with the iptables mark, so this section matters there too.
    iptables: { masqueradeAll: false, masqueradeBit: 14, ...sync },
    ...(mode === 'ipvs'
      ? { ipvs: { ...sync, scheduler: 'rr', strictARP: false, tcpFinTimeout: '0s', tcpTimeout: '0s', udpTimeout: '0s' } }
      : { nftables: { masqueradeAll: false, masqueradeBit: 14, ...sync } }),
    metricsBindAddress: '127.0.0.1:10249',
    mode,
    oomScoreAdj: -999,
  };
}

function tunedFields(t: KubeProxyTuning): Config {
  const mode = t.mode ?? 'ipvs';
  const set = (entries: Record<string, unknown>): Config => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
  const proxier = set({
    syncPeriod: t.syncPeriod,
    minSyncPeriod: t.minSyncPeriod,
    ...(mode === 'ipvs'
      ? { scheduler: t.scheduler, strictARP: t.strictARP, excludeCIDRs: t.excludeCIDRs ? [...t.excludeCIDRs] : undefined, udpTimeout: t.udpTimeout, tcpTimeout: t.tcpTimeout, tcpFinTimeout: t.tcpFinTimeout }
      : {}),
  });
  const conntrack = set({ maxPerCore: t.conntrackMaxPerCore, min: t.conntrackMin, tcpEstablishedTimeout: t.tcpEstablishedTimeout, tcpCloseWaitTimeout: t.tcpCloseWaitTimeout });
  return set({
    mode,
    [mode]: Object.keys(proxier).length > 0 ? proxier : undefined,
    conntrack: Object.keys(conntrack).length > 0 ? conntrack : undefined,
    clusterCIDR: t.clusterCIDR,
    metricsBindAddress: t.metricsBindAddress,
  });
}

function isMap(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps merge key by key; anything else in `over` replaces what `base` has. */
function mergeConfig(base: Config, over: Config): Config {
  const out: Config = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(v) && isMap(base[k]) ? mergeConfig(base[k] as Config, v) : v;
  return out;
}

/** The user's KubeProxyConfiguration, read as kube-proxy's YAML 1.1 decoder reads it. */
export function parseBaseConfig(text: string): Config {
  let parsed: unknown;
  try {
    parsed = parse(text, { version: '1.1' });
  } catch (e) {
    throw new Error(`baseConfig is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isMap(parsed)) throw new Error('baseConfig must be a KubeProxyConfiguration mapping (apiVersion, kind, ...)');
  if (parsed.kind !== KUBE_PROXY_KIND || parsed.apiVersion !== KUBE_PROXY_API_VERSION) {
    throw new Error(`baseConfig must be apiVersion ${KUBE_PROXY_API_VERSION}, kind ${KUBE_PROXY_KIND} (got ${JSON.stringify(parsed.apiVersion)}, ${JSON.stringify(parsed.kind)}): paste the config.conf key of the kube-proxy ConfigMap`);
  }
  return parsed;
}

/**
 * config.conf text: keys sorted at every level, so the same configuration always renders the
 * same bytes; YAML 1.1 quoting, because kube-proxy's decoder reads `on` or `10:20` as 1.1 does.
 */
export function renderKubeProxyConfiguration(config: Readonly<Config>): string {
  return stringify(config, { sortMapEntries: true, version: '1.1', lineWidth: 0 });
}

/** Dotted paths of keys KubeProxyConfiguration v1alpha1 does not have (a typo, or a removed field). */
export function unknownKubeProxyFields(config: Readonly<Config>): string[] {
  const out: string[] = [];
  const walk = (value: unknown, schemaPath: string, shownPath: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${schemaPath}[]`, `${shownPath}[${i}]`));
      return;
    }
    if (!isMap(value)) return;
    const known = KUBE_PROXY_CONFIGURATION_FIELDS[schemaPath];
    if (known === undefined) return;
    for (const [k, v] of Object.entries(value)) {
      const childSchema = schemaPath === '' ? k : `${schemaPath}.${k}`;
      const childShown = shownPath === '' ? k : `${shownPath}.${k}`;
      if (!known.includes(k)) out.push(childShown);
      else if (childSchema !== 'featureGates') walk(v, childSchema, childShown);
    }
  };
  walk(config, '', '');
  return out;
}

/** kube-proxy flags for k3s's `kube-proxy-arg`; only the fields given, plus the mode. */
export function k3sKubeProxyArgs(t: KubeProxyTuning): string[] {
  const mode = t.mode ?? 'ipvs';
  if (mode === 'nftables' && (t.syncPeriod !== undefined || t.minSyncPeriod !== undefined)) {
    throw new Error('k3s: the nftables sync periods have no kube-proxy flag in every supported release; leave syncPeriod and minSyncPeriod unset or use mode ipvs');
  }
  const flags: Array<[string, string | number | boolean | undefined]> = [
    ['proxy-mode', mode],
    ['ipvs-scheduler', t.scheduler],
    ['ipvs-sync-period', mode === 'ipvs' ? t.syncPeriod : undefined],
    ['ipvs-min-sync-period', mode === 'ipvs' ? t.minSyncPeriod : undefined],
    ['ipvs-strict-arp', t.strictARP],
    ['ipvs-exclude-cidrs', t.excludeCIDRs?.join(',')],
    ['ipvs-tcp-timeout', t.tcpTimeout],
    ['ipvs-tcpfin-timeout', t.tcpFinTimeout],
    ['ipvs-udp-timeout', t.udpTimeout],
    ['conntrack-max-per-core', t.conntrackMaxPerCore],
    ['conntrack-min', t.conntrackMin],
    ['conntrack-tcp-timeout-established', t.tcpEstablishedTimeout],
    ['conntrack-tcp-timeout-close-wait', t.tcpCloseWaitTimeout],
    ['cluster-cidr', t.clusterCIDR],
    ['metrics-bind-address', t.metricsBindAddress],
  ];
  return flags.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${v}`);
}

export interface KubeProxyRestartOptions {
  /**
   * Namespace of the kube-proxy DaemonSet.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * The kube-proxy DaemonSet.
   * @default - the platform's: kube-proxy (kubeadm), kube-proxy-worker (ack)
   */
  readonly daemonSet?: string;
  /**
   * The k3s `kube-proxy-arg` entries, quoted in the step.
   * @default - none
   */
  readonly k3sArgs?: readonly string[];
}

/** What to run after the change is applied: kube-proxy does not reload its configuration. */
export function kubeProxyRestartStep(platform: Platform, options: KubeProxyRestartOptions = {}): string {
  if (platform === 'k3s') {
    const args = options.k3sArgs ?? [];
    const list = args.length > 0 ? ` (${args.map((a) => `\`${a}\``).join(', ')})` : '';
    return `k3s runs kube-proxy inside the k3s process: add the kube-proxy-arg entries${list} to ${K3S_CONFIG_FILE} on every node, then restart one node at a time with \`systemctl restart k3s\` on servers and \`systemctl restart k3s-agent\` on agents; kube-proxy reads its flags only when k3s starts.`;
  }
  const ns = options.namespace ?? 'kube-system';
  const ds = options.daemonSet ?? KUBE_PROXY_PRESETS[platform].daemonSet;
  return `kube-proxy reads its ConfigMap only when it starts and does not reload it on change: restart it node by node with \`kubectl -n ${ns} rollout restart ds/${ds} && kubectl -n ${ns} rollout status ds/${ds} --timeout=30m\`.`;
}

/** IPVS needs its kernel modules on every node before kube-proxy starts in IPVS mode. */
export function ipvsModuleStep(scheduler: IpvsScheduler = 'rr'): string {
  return `Before the restart, check every node has the IPVS modules: \`lsmod | grep -E '^(ip_vs|ip_vs_${scheduler}|nf_conntrack) '\`; load missing ones with \`modprobe ip_vs ip_vs_${scheduler}\` and list them in /etc/modules-load.d/ so they survive a reboot.`;
}

export interface KubeProxyCheckContext {
  /** spec.kubernetesVersion, e.g. "1.30". */
  readonly kubernetesVersion: string;
  /** spec.nodes. */
  readonly nodes: number;
  /** spec.cpuPerNode; conntrack sizing needs it. */
  readonly cpuPerNode?: number;
  readonly platform: Platform;
  readonly cni: Cni;
  /** The profile has a `cilium` section (Cilium replaces kube-proxy). */
  readonly hasCilium: boolean;
}

/** Above this many nodes a resync on every endpoint change costs more than it gains. */
export const MIN_SYNC_PERIOD_ZERO_NODE_LIMIT = 500;

/**
 * Cross-field rules of `spec.kubeProxy` against the cluster: every problem at once, each with
 * its field path.
 */
export function checkKubeProxy(spec: KubeProxySpec, ctx: KubeProxyCheckContext): Finding[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'kubeProxy', ...p];
  const out: Finding[] = [];
  const mode = spec.mode ?? 'ipvs';
  const modePath = spec.mode !== undefined ? at('mode') : at();
  const minor = kubernetesMinor(ctx.kubernetesVersion);

  if (ctx.cni === 'cilium' || ctx.hasCilium) {
    out.push(error(at(), 'configures kube-proxy, but Cilium replaces kube-proxy in this cluster (kubeProxyReplacement): remove the kubeProxy section'));
  }

  if (mode === 'nftables') {
    if (minor < 31) {
      out.push(error(at('mode'), `nftables needs Kubernetes 1.31 or newer (beta in 1.31, GA in 1.33); this cluster runs ${ctx.kubernetesVersion}: use ipvs`));
    } else if (minor < 33) {
      out.push(warning(at('mode'), `nftables is beta in Kubernetes ${ctx.kubernetesVersion} (GA in 1.33); it also needs Linux 5.13 or newer on every node`, 'KEP-3866: alpha 1.29, beta 1.31, GA 1.33'));
    }
    // tcpTimeout and tcpFinTimeout are looked up by name: the profile schema may not have them yet.
    const given = spec as Readonly<Record<string, unknown>>;
    for (const field of IPVS_ONLY_FIELDS) {
      if (given[field] === undefined) continue;
      const why = field === 'scheduler' ? 'nftables has no scheduler: it picks endpoints at random' : `${field} is an ipvs setting kube-proxy ignores in nftables mode`;
      out.push(error(at(field), `applies to IPVS mode only (mode is nftables): ${why}; remove it or use mode: ipvs`));
    }
    if (ctx.cni === 'calico') {
      out.push(
        warning(at('mode'), 'nftables: Calico must program nftables too, or its iptables rules and kube-proxy\'s nftables rules disagree; set FelixConfiguration nftablesMode (Enabled, or Auto where Felix detects kube-proxy\'s mode)', 'Calico docs: kube-proxy nftables mode needs Calico\'s nftables data plane'),
      );
    }
    if (ctx.platform === 'k3s' && (spec.syncPeriod !== undefined || spec.minSyncPeriod !== undefined)) {
      out.push(error(at(spec.syncPeriod !== undefined ? 'syncPeriod' : 'minSyncPeriod'), 'k3s takes kube-proxy settings as flags, and the nftables sync periods have no flag in every supported release: leave them unset or use mode: ipvs'));
    }
  } else if (minor >= 35) {
    out.push(warning(modePath, `IPVS mode is deprecated from Kubernetes 1.35 and this cluster runs ${ctx.kubernetesVersion}: plan the move to mode: nftables (GA since 1.33)`, 'KEP-5495: deprecate ipvs mode in kube-proxy'));
  }

  if (spec.minSyncPeriod !== undefined && isZeroDuration(spec.minSyncPeriod) && ctx.nodes > MIN_SYNC_PERIOD_ZERO_NODE_LIMIT) {
    out.push(
      warning(
        at('minSyncPeriod'),
        `${spec.minSyncPeriod} on ${ctx.nodes} nodes resyncs every node's rules on every endpoint change, which in a cluster this size is nearly constant: use 1s (upstream's advice) so changes are batched`,
        'Kubernetes docs, virtual IPs: minSyncPeriod 0s suits only very small clusters',
      ),
    );
  }

  if (spec.conntrackMax !== undefined && (spec.conntrackMaxPerCore !== undefined || spec.conntrackMin !== undefined)) {
    const others = (['conntrackMaxPerCore', 'conntrackMin'] as const).filter((f) => spec[f] !== undefined);
    out.push(error(at('conntrackMax'), `sets maxPerCore and min itself (maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax): remove ${others.join(' and ')}, or conntrackMax`));
  } else if (spec.conntrackMax !== undefined || spec.conntrackMaxPerCore !== undefined || spec.conntrackMin !== undefined) {
    if (ctx.cpuPerNode === undefined) {
      if (spec.conntrackMax !== undefined) {
        out.push(error(at('conntrackMax'), 'needs spec.cpuPerNode: maxPerCore = ceil(conntrackMax / cpuPerNode)'));
      } else {
        out.push(warning(at(spec.conntrackMaxPerCore !== undefined ? 'conntrackMaxPerCore' : 'conntrackMin'), 'nf_conntrack_max is not checked: set spec.cpuPerNode to size the table and check it against the int32 limit and kube-proxy\'s default'));
      }
    } else {
      const input: ConntrackSizingInput = { cpuPerNode: ctx.cpuPerNode, conntrackMax: spec.conntrackMax, conntrackMaxPerCore: spec.conntrackMaxPerCore, conntrackMin: spec.conntrackMin };
      for (const p of conntrackSizing(input).problems) {
        out.push(p.severity === 'error' ? error(at(p.field), p.message) : warning(at(p.field), p.message, 'kube-proxy defaults: maxPerCore 32768, min 131072'));
      }
    }
  }

  if (ctx.platform === 'k3s') {
    for (const field of ['baseConfig', 'configMapName', 'configMapKey'] as const) {
      if (spec[field] !== undefined) out.push(error(at(field), `does not apply on k3s: kube-proxy runs inside k3s and is configured by kube-proxy-arg in ${K3S_CONFIG_FILE}, not by a ConfigMap`));
    }
  } else if (spec.baseConfig !== undefined) {
    let base: Config | undefined;
    try {
      base = parseBaseConfig(spec.baseConfig);
    } catch (e) {
      out.push(error(at('baseConfig'), (e as Error).message.replace(/^baseConfig /, '')));
    }
    const unknown = base ? unknownKubeProxyFields(base) : [];
    if (unknown.length > 0) {
      out.push(warning(at('baseConfig'), `has fields KubeProxyConfiguration v1alpha1 does not know: ${unknown.join(', ')}; they are kept as given, but check for typos or fields removed upstream`));
    }
  } else {
    const preset = KUBE_PROXY_PRESETS[ctx.platform];
    out.push(
      warning(
        at(),
        `has no baseConfig, so ${preset.configMapKey} is rendered whole from kube-proxy's defaults and replaces what the cluster has today (clusterCIDR, featureGates, hostnameOverride ...): paste the current one as baseConfig from \`kubectl -n kube-system get cm ${preset.configMapName} -o jsonpath='{.data.config\\.conf}'\``,
      ),
    );
  }
  return out;
}

/** "1.27" or "1.27.3" -> 27. */
function kubernetesMinor(version: string): number {
  const m = /^1\.(\d+)/.exec(version);
  if (!m) throw new Error(`checkKubeProxy: kubernetesVersion must look like 1.27 (got ${JSON.stringify(version)})`);
  return Number(m[1]);
}

/** 0, 0s, 0ms, 0h0m0s: every number in the Go duration is zero. */
export function isZeroDuration(duration: string): boolean {
  return (duration.match(/[0-9]+(\.[0-9]+)?/g) ?? ['1']).every((n) => Number(n) === 0);
}
