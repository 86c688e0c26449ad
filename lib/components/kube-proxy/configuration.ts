/**
 * The KubeProxyConfiguration netscale renders: the cluster's own (baseConfig) or kube-proxy's
 * defaults, with the tuned fields laid over it; and the same settings as k3s flags. Pure functions.
 */
import { parse, stringify } from 'yaml';
import { Platform } from '../../core/cluster';
import { formatPath } from '../../core/findings';
import { MAX_NESTING_DEPTH, tooDeepAt } from '../../core/limits';
import { deepMerge, isCyclic, isPlainObject } from '../../core/objects';
import { KUBE_PROXY_CONNTRACK_DEFAULTS } from './conntrack';
import {
  IpvsScheduler,
  KUBE_PROXY_API_VERSION,
  KUBE_PROXY_CONFIGURATION_FIELDS,
  KUBE_PROXY_DEFAULTS,
  KUBE_PROXY_KIND,
  KUBE_PROXY_PRESETS,
  KubeProxyMode,
} from './facts';

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
   * conntrack.tcpBeLiberal (Kubernetes 1.29 and newer): nftables mode has no drop rule for
   * conntrack-INVALID packets, which iptables mode adds; this is its replacement.
   * @default - kept from baseConfig, else not set (false)
   */
  readonly conntrackTcpBeLiberal?: boolean;
  /**
   * featureGates to turn on or off, merged over the baseConfig's (NFTablesProxyMode on 1.29-1.30).
   * @default - kept from baseConfig
   */
  readonly featureGates?: Readonly<Record<string, boolean>>;
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

type Config = Record<string, unknown>;

/**
 * The KubeProxyConfiguration netscale renders: `baseConfig` (or, without one, complete defaults)
 * with the tuned fields laid over it. Pure; throws on a baseConfig that is not a
 * KubeProxyConfiguration.
 */
export function kubeProxyConfiguration(tuning: KubeProxyTuning, options: KubeProxyConfigurationOptions = {}): Config {
  const mode = tuning.mode ?? KUBE_PROXY_DEFAULTS.mode;
  let base: Config;
  if (options.baseConfig !== undefined) {
    const parsed = parseBaseConfig(options.baseConfig);
    if (!parsed.ok) throw new Error(`baseConfig ${parsed.reason}`);
    base = mode === 'nftables' ? toNftables(parsed.config) : parsed.config;
  } else {
    base = defaultKubeProxyConfiguration(mode, options.kubeconfigPath ?? KUBE_PROXY_DEFAULTS.kubeconfig);
  }
  return deepMerge(base, tunedFields(tuning));
}

/**
 * A baseConfig moved to nftables mode: no `ipvs` section (kube-proxy ignores it there, and a
 * reviewer should not read IPVS settings in an nftables configuration), and a complete `nftables`
 * section: the base's own, else the masquerade settings of its iptables section (the same
 * meaning in both modes) and nftables' defaults for the sync periods. IPVS sync periods are not
 * carried over: IPVS's minSyncPeriod defaults to 0s, nftables' to 1s.
 */
function toNftables(base: Config): Config {
  const { ipvs: _ipvs, ...rest } = base;
  const own = isPlainObject(base.nftables) ? base.nftables : {};
  const iptables = isPlainObject(base.iptables) ? base.iptables : {};
  return {
    ...rest,
    nftables: {
      masqueradeAll: own.masqueradeAll ?? iptables.masqueradeAll ?? false,
      masqueradeBit: own.masqueradeBit ?? iptables.masqueradeBit ?? 14,
      syncPeriod: own.syncPeriod ?? KUBE_PROXY_DEFAULTS.syncPeriod,
      minSyncPeriod: own.minSyncPeriod ?? KUBE_PROXY_DEFAULTS.minSyncPeriod,
      ...own,
    },
  };
}

/** Tuning, base and platform: what the ConfigMap's configuration is made of. */
export type KubeProxyConfigSource = KubeProxyTuning & KubeProxyConfigurationOptions & { readonly platform?: Platform };

/**
 * The `config.conf` text a platform's kube-proxy gets (its kubeconfig path by default): what the
 * construct renders and what a restart is keyed on. Undefined on k3s, which takes flags.
 */
export function kubeProxyConfigYaml(source: KubeProxyConfigSource): string | undefined {
  const platform = source.platform ?? 'kubeadm';
  if (platform === 'k3s') return undefined;
  const configuration = kubeProxyConfiguration(source, {
    baseConfig: source.baseConfig,
    kubeconfigPath: source.kubeconfigPath ?? KUBE_PROXY_PRESETS[platform].kubeconfig,
  });
  return renderKubeProxyConfiguration(configuration);
}

/** A complete configuration with kube-proxy's own defaults, for clusters without a baseConfig. */
export function defaultKubeProxyConfiguration(mode: KubeProxyMode, kubeconfigPath: string): Config {
  const sync = { syncPeriod: KUBE_PROXY_DEFAULTS.syncPeriod, minSyncPeriod: KUBE_PROXY_DEFAULTS.minSyncPeriod };
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
      ? { ipvs: { ...sync, scheduler: KUBE_PROXY_DEFAULTS.scheduler, strictARP: false, tcpFinTimeout: '0s', tcpTimeout: '0s', udpTimeout: '0s' } }
      : { nftables: { masqueradeAll: false, masqueradeBit: 14, ...sync } }),
    metricsBindAddress: KUBE_PROXY_DEFAULTS.metricsBindAddress,
    mode,
    oomScoreAdj: -999,
  };
}

/** The fields the tuning sets, as they go over the base (or the defaults). */
export function tunedFields(t: KubeProxyTuning): Config {
  const mode = t.mode ?? KUBE_PROXY_DEFAULTS.mode;
  const set = (entries: Record<string, unknown>): Config => Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
  const proxier = set({
    syncPeriod: t.syncPeriod,
    minSyncPeriod: t.minSyncPeriod,
    ...(mode === 'ipvs'
      ? {
          scheduler: t.scheduler,
          strictARP: t.strictARP,
          excludeCIDRs: t.excludeCIDRs ? [...t.excludeCIDRs] : undefined,
          udpTimeout: t.udpTimeout,
          tcpTimeout: t.tcpTimeout,
          tcpFinTimeout: t.tcpFinTimeout,
        }
      : {}),
  });
  const conntrack = set({
    maxPerCore: t.conntrackMaxPerCore,
    min: t.conntrackMin,
    tcpEstablishedTimeout: t.tcpEstablishedTimeout,
    tcpCloseWaitTimeout: t.tcpCloseWaitTimeout,
    tcpBeLiberal: t.conntrackTcpBeLiberal,
  });
  return set({
    featureGates: t.featureGates && Object.keys(t.featureGates).length > 0 ? { ...t.featureGates } : undefined,
    mode,
    [mode]: Object.keys(proxier).length > 0 ? proxier : undefined,
    conntrack: Object.keys(conntrack).length > 0 ? conntrack : undefined,
    clusterCIDR: t.clusterCIDR,
    metricsBindAddress: t.metricsBindAddress,
  });
}

/**
 * The user's KubeProxyConfiguration, read as kube-proxy's YAML 1.1 decoder reads it, or why it is
 * not one. The rules, the resolve step and the construct each read the same baseConfig, and a fleet
 * repeats them: parsed once per text, each caller gets its own copy.
 */
export function parseBaseConfig(text: string): { ok: true; config: Config } | { ok: false; reason: string } {
  let parsed = parsedBaseConfigs.get(text);
  if (parsed === undefined) {
    parsed = readBaseConfig(text);
    if (parsedBaseConfigs.size >= MEMO_LIMIT) parsedBaseConfigs.clear();
    parsedBaseConfigs.set(text, parsed);
  }
  return parsed.ok ? { ok: true, config: structuredClone(parsed.config) } : parsed;
}

const MEMO_LIMIT = 1024;
const parsedBaseConfigs = new Map<string, ReturnType<typeof readBaseConfig>>();

function readBaseConfig(text: string): { ok: true; config: Config } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = parse(text, { version: '1.1' });
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, reason: `nests deeper than ${MAX_NESTING_DEPTH} levels: write it flatter` };
    return { ok: false, reason: `is not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!isPlainObject(parsed)) return { ok: false, reason: 'must be a KubeProxyConfiguration mapping (apiVersion, kind, ...)' };
  if (isCyclic(parsed))
    return { ok: false, reason: 'has a YAML alias inside its own anchor, which makes a value that contains itself: write the values out' };
  const deep = tooDeepAt(parsed);
  if (deep) return { ok: false, reason: `nests deeper than ${MAX_NESTING_DEPTH} levels (at ${formatPath(deep)}): write it flatter` };
  if (parsed.kind !== KUBE_PROXY_KIND || parsed.apiVersion !== KUBE_PROXY_API_VERSION) {
    const got = `${JSON.stringify(parsed.apiVersion)}, ${JSON.stringify(parsed.kind)}`;
    return {
      ok: false,
      reason:
        `must be apiVersion ${KUBE_PROXY_API_VERSION}, kind ${KUBE_PROXY_KIND} (got ${got}): ` +
        'paste the config.conf key of the kube-proxy ConfigMap',
    };
  }
  return { ok: true, config: parsed };
}

/**
 * config.conf text: keys sorted at every level, so the same configuration always renders the
 * same bytes; YAML 1.1 quoting, because kube-proxy's decoder reads `on` or `10:20` as 1.1 does.
 */
export function renderKubeProxyConfiguration(config: Readonly<Config>): string {
  // The restart key and the ConfigMap render the same configuration: remembered by its JSON,
  // where the JSON says all the YAML would.
  const key = faithfulJson(config);
  let text = key !== undefined ? renderedConfigs.get(key) : undefined;
  if (text === undefined) {
    text = stringify(config, { sortMapEntries: true, version: '1.1', lineWidth: 0 });
    if (renderedConfigs.size >= MEMO_LIMIT) renderedConfigs.clear();
    if (key !== undefined) renderedConfigs.set(key, text);
  }
  return text;
}

const renderedConfigs = new Map<string, string>();

/** JSON of plain data, or undefined where JSON would blur two values YAML tells apart (dates, Infinity, -0, undefined). */
function faithfulJson(value: unknown): string | undefined {
  let faithful = true;
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (
      original instanceof Date ||
      original === undefined ||
      (typeof original === 'number' && (!Number.isFinite(original) || Object.is(original, -0)))
    )
      faithful = false;
    return v;
  });
  return faithful ? json : undefined;
}

/** Dotted paths of keys KubeProxyConfiguration v1alpha1 does not have (a typo, or a removed field). */
export function unknownKubeProxyFields(config: Readonly<Config>): string[] {
  const out: string[] = [];
  const walk = (value: unknown, schemaPath: string, shownPath: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${schemaPath}[]`, `${shownPath}[${i}]`));
      return;
    }
    if (!isPlainObject(value)) return;
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
  const mode = t.mode ?? KUBE_PROXY_DEFAULTS.mode;
  if (mode === 'nftables' && (t.syncPeriod !== undefined || t.minSyncPeriod !== undefined)) {
    throw new Error(
      'k3s: the nftables sync periods have no kube-proxy flag in every supported release; leave syncPeriod and minSyncPeriod unset or use mode ipvs',
    );
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
    ['conntrack-tcp-be-liberal', t.conntrackTcpBeLiberal],
    [
      'feature-gates',
      t.featureGates && Object.keys(t.featureGates).length > 0
        ? Object.entries(t.featureGates)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : undefined,
    ],
    ['cluster-cidr', t.clusterCIDR],
    ['metrics-bind-address', t.metricsBindAddress],
  ];
  return flags.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${v}`);
}
