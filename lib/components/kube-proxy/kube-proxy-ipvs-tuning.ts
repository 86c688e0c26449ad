import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { INT32_MAX, Platform } from '../../core/cluster';
import { isGoDuration } from '../../core/duration';
import { Problem, throwOnErrors } from '../../core/findings';
import { setOwnership } from '../../core/rollout';
import {
  k3sKubeProxyArgs,
  KubeProxyConfigurationOptions,
  kubeProxyConfiguration,
  KubeProxyTuning,
  parseBaseConfig,
  renderKubeProxyConfiguration,
  unknownKubeProxyFields,
} from './configuration';
import {
  IPVS_FIELD_IN_NFTABLES,
  IPVS_ONLY_FIELDS,
  IPVS_SCHEDULERS,
  K3S_CONFIG_FILE,
  KUBE_PROXY_DEFAULTS,
  KUBE_PROXY_MODES,
  KUBE_PROXY_PRESETS,
  KubeProxyMode,
} from './facts';
import { kubeProxyRestartStep } from './steps';

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
    throwOnErrors('KubeProxyIpvsTuning', kubeProxyTuningProblems(props));
    this.platform = props.platform ?? 'kubeadm';
    this.mode = props.mode ?? KUBE_PROXY_DEFAULTS.mode;

    if (this.platform === 'k3s') {
      this.configuration = {};
      this.configYaml = '';
      this.k3sArgs = k3sKubeProxyArgs(props);
      this.restartStep = kubeProxyRestartStep('k3s', { k3sArgs: this.k3sArgs });
      return;
    }

    const preset = KUBE_PROXY_PRESETS[this.platform];
    const key = props.configMapKey ?? preset.configMapKey;
    this.configuration = kubeProxyConfiguration(props, { baseConfig: props.baseConfig, kubeconfigPath: props.kubeconfigPath ?? preset.kubeconfig });
    this.configYaml = renderKubeProxyConfiguration(this.configuration);
    this.k3sArgs = [];
    const namespace = props.namespace ?? 'kube-system';
    this.restartStep = kubeProxyRestartStep(this.platform, { namespace });
    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: props.configMapName ?? preset.configMapName, namespace },
      data: { [key]: this.configYaml },
    });
    // Only this key is netscale's: kubeadm keeps kubeconfig.conf in the same ConfigMap, and
    // removing netscale must never take kube-proxy's configuration with it.
    setOwnership(this.configMap, 'shared');
  }
}

const DURATION_FIELDS = [
  'syncPeriod',
  'minSyncPeriod',
  'udpTimeout',
  'tcpTimeout',
  'tcpFinTimeout',
  'tcpEstablishedTimeout',
  'tcpCloseWaitTimeout',
] as const;

/**
 * Every problem with these props, paths relative to them: the constructor throws on the errors,
 * and the profile rules report the same problems at spec.kubeProxy.
 */
export function kubeProxyTuningProblems(props: KubeProxyIpvsTuningProps): Problem[] {
  const out: Problem[] = [];
  const err = (field: string, message: string) => out.push({ severity: 'error', path: [field], message });
  const mode = props.mode ?? KUBE_PROXY_DEFAULTS.mode;
  const platform = props.platform ?? 'kubeadm';
  if (!(KUBE_PROXY_MODES as readonly string[]).includes(mode)) err('mode', `must be ${KUBE_PROXY_MODES.join(' or ')} (got ${JSON.stringify(mode)})`);
  if (props.scheduler !== undefined && !(IPVS_SCHEDULERS as readonly string[]).includes(props.scheduler)) {
    err('scheduler', `must be an IPVS scheduler: ${IPVS_SCHEDULERS.join(', ')} (got ${JSON.stringify(props.scheduler)})`);
  }
  if (mode === 'nftables') {
    for (const field of IPVS_ONLY_FIELDS) {
      if (props[field] === undefined) continue;
      err(
        field,
        `is ipvs.${field}, which kube-proxy reads in IPVS mode only (mode is nftables); in nftables ` +
          `mode: ${IPVS_FIELD_IN_NFTABLES[field]}. Remove it, or use mode: ipvs`,
      );
    }
  }
  for (const field of DURATION_FIELDS) {
    const value = props[field];
    if (value !== undefined && !isGoDuration(value)) err(field, `must be a Go duration such as 30s, 1m30s or 250ms (got ${JSON.stringify(value)})`);
  }
  for (const field of ['conntrackMaxPerCore', 'conntrackMin'] as const) {
    const value = props[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > INT32_MAX))
      err(field, `must be a whole number from 0 to ${INT32_MAX} (got ${value})`);
  }
  if (platform === 'k3s') {
    for (const field of ['baseConfig', 'configMapName', 'configMapKey'] as const) {
      if (props[field] !== undefined)
        err(field, `does not apply on k3s: kube-proxy runs inside k3s and is configured by kube-proxy-arg in ${K3S_CONFIG_FILE}, not by a ConfigMap`);
    }
    if (mode === 'nftables' && (props.syncPeriod !== undefined || props.minSyncPeriod !== undefined)) {
      err(
        props.syncPeriod !== undefined ? 'syncPeriod' : 'minSyncPeriod',
        'k3s takes kube-proxy settings as flags, and the nftables sync periods have no flag in every supported release: leave them unset or ' +
          'use mode: ipvs',
      );
    }
  } else if (props.baseConfig !== undefined) {
    const base = parseBaseConfig(props.baseConfig);
    if (!base.ok) err('baseConfig', base.reason);
    const unknown = base.ok ? unknownKubeProxyFields(base.config) : [];
    if (unknown.length > 0) {
      out.push({
        severity: 'warning',
        path: ['baseConfig'],
        message:
          `has fields KubeProxyConfiguration v1alpha1 does not ` +
          `know: ${unknown.join(', ')}; they are kept as given, but check for typos or fields removed upstream`,
      });
    }
  }
  return out;
}
