/** What the review says of a kube-proxy change: the settings against baseConfig, the checks after it, and its revert. */
import { ClusterContext } from '../../core/cluster';
import { Decision } from '../../core/decision';
import { ChangeArea, diffSettings, listSettings, RollbackNote, VerifyStep } from '../../core/review-parts';
import { KUBE_PROXY_DEFAULTS, KUBE_PROXY_PRESETS } from './facts';
import { k3sKubeProxyArgs, kubeProxyConfiguration, parseBaseConfig, tunedFields } from './configuration';
import type { KubeProxyIpvsTuningProps } from './kube-proxy-ipvs-tuning';
import type { KubeProxySpec } from './schema';

/** The profile field behind each tuned setting of config.conf (mode-specific ones by their last segment). */
const PROFILE_FIELD: Readonly<Record<string, keyof KubeProxySpec>> = {
  mode: 'mode',
  scheduler: 'scheduler',
  syncPeriod: 'syncPeriod',
  minSyncPeriod: 'minSyncPeriod',
  strictARP: 'strictARP',
  excludeCIDRs: 'excludeCIDRs',
  udpTimeout: 'udpTimeout',
  tcpTimeout: 'tcpTimeout',
  tcpFinTimeout: 'tcpFinTimeout',
  'conntrack.tcpEstablishedTimeout': 'tcpEstablishedTimeout',
  'conntrack.tcpCloseWaitTimeout': 'tcpCloseWaitTimeout',
  'conntrack.tcpBeLiberal': 'conntrackTcpBeLiberal',
  clusterCIDR: 'clusterCIDR',
  metricsBindAddress: 'metricsBindAddress',
};

/** Why a setting of config.conf is what netscale renders. */
function whyOf(setting: string, removed: boolean, k: KubeProxySpec, decisions: readonly Decision[]): string {
  const decided = decisions.find((d) => d.name === setting || (setting.startsWith('featureGates.') && d.name === setting));
  if (decided) return decided.rule;
  if (removed && setting.startsWith('ipvs.')) return 'nftables mode reads no ipvs section: it is left out';
  if (setting.startsWith('nftables.')) return decisions.find((d) => d.name === 'nftables section')?.rule ?? "nftables mode's section";
  const last = setting.split('.').pop()!;
  const field = PROFILE_FIELD[setting] ?? (/^(ipvs|nftables|iptables)\./.test(setting) ? PROFILE_FIELD[last] : undefined);
  if (field !== undefined && k[field] !== undefined) return `set in the profile (spec.kubeProxy.${field})`;
  if (setting === 'mode') return `default: ${KUBE_PROXY_DEFAULTS.mode}`;
  return removed ? 'not in what netscale renders' : "kube-proxy's default, where the base has none";
}

export function kubeProxyChanges(k: KubeProxySpec, ctx: ClusterContext, props: KubeProxyIpvsTuningProps, decisions: readonly Decision[]): ChangeArea {
  if (ctx.platform === 'k3s') {
    return {
      where: `kube-proxy-arg in /etc/rancher/k3s/config.yaml`,
      unknown: "k3s keeps kube-proxy's flags in each node's config file, which the profile does not hold",
      changes: k3sKubeProxyArgs(props).map((arg) => {
        const [flag, value] = arg.split(/=(.*)/s);
        return { setting: flag, next: JSON.stringify(value), why: "from the profile's kubeProxy section" };
      }),
    };
  }
  const preset = KUBE_PROXY_PRESETS[ctx.platform];
  const where = `ConfigMap kube-system/${k.configMapName ?? preset.configMapName}, ${k.configMapKey ?? preset.configMapKey}`;
  const parsed = k.baseConfig !== undefined ? parseBaseConfig(k.baseConfig) : undefined;
  if (parsed?.ok) {
    const next = kubeProxyConfiguration(props, { baseConfig: k.baseConfig, kubeconfigPath: k.kubeconfigPath ?? preset.kubeconfig });
    const { changes, kept } = diffSettings(parsed.config, next, (s, removed) => whyOf(s, removed, k, decisions));
    return { where, base: 'spec.kubeProxy.baseConfig', changes, kept };
  }
  return {
    where,
    unknown:
      `the profile gives no ` +
      `kubeProxy.baseConfig, so ${preset.configMapKey} is rendered whole from kube-proxy's defaults; paste the cluster's own there to see ` +
      `what changes`,
    changes: listSettings(tunedFields(props), (s) => whyOf(s, false, k, decisions)),
  };
}

export function kubeProxyVerify(k: KubeProxySpec, ctx: ClusterContext, decisions: readonly Decision[]): VerifyStep[] {
  const component = 'kube-proxy';
  const mode = k.mode ?? KUBE_PROXY_DEFAULTS.mode;
  const max = decisions.find((d) => d.name === 'nf_conntrack_max');
  const out: VerifyStep[] = [];
  if (ctx.platform !== 'k3s') {
    const ds = KUBE_PROXY_PRESETS[ctx.platform].daemonSet;
    out.push({
      component,
      check: `\`kubectl -n kube-system rollout status ds/${ds}\``,
      healthy: '`successfully rolled out`: every kube-proxy runs the new configuration',
    });
  }
  out.push({
    component,
    check: 'on a node: `sysctl net.netfilter.nf_conntrack_max`',
    healthy:
      max && max.value !== 0
        ? `\`net.netfilter.nf_conntrack_max = ${max.value}\` (${max.rule}); lower means kube-proxy did not restart there, or something else ` +
          `sets the sysctl`
        : "max(conntrack.maxPerCore x the node's CPUs, conntrack.min), which kube-proxy writes when it starts",
  });
  if (mode === 'ipvs') {
    const scheduler = k.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler;
    out.push({
      component,
      check: 'on a node: `ipvsadm -Ln --stats`',
      healthy:
        `one virtual server per Service port, each with scheduler \`${scheduler}\` and its endpoints as real servers; ` +
        'the connection counters grow',
    });
  } else {
    out.push({
      component,
      check: 'on a node: `nft list table ip kube-proxy` and `ipvsadm -Ln`',
      healthy: 'the kube-proxy table with a chain per Service; ipvsadm lists no virtual server (the IPVS rules are gone)',
    });
  }
  return out;
}

export function kubeProxyRollback(k: KubeProxySpec, ctx: ClusterContext): RollbackNote {
  const preset = ctx.platform === 'k3s' ? undefined : KUBE_PROXY_PRESETS[ctx.platform];
  const revert = preset
    ? `The ConfigMap ${preset.configMapName} goes back to the previous configuration ` +
      `and ds/${preset.daemonSet} restarts again, node by node (the restart below): each new kube-proxy programs the previous settings and ` +
      `kube-proxy resets nf_conntrack_max from them.`
    : "Put the previous kube-proxy-arg entries back in each node's k3s config file and restart k3s node by node, as for the change.";
  const pointOfNoReturn =
    preset && k.baseConfig === undefined
      ? `without baseConfig, ${preset.configMapKey} is replaced whole once synced: what the cluster had there (clusterCIDR, featureGates, ` +
        `hostnameOverride ...) is gone, and no revert of netscale's files brings it back. Save it before the sync: \`kubectl -n kube-system ` +
        `get cm ${preset.configMapName} -o yaml > ${preset.configMapName}.before.yaml\`.`
      : undefined;
  return { component: 'kube-proxy', revert, ...(pointOfNoReturn ? { pointOfNoReturn } : {}) };
}
