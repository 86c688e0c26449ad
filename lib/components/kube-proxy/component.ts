/** kube-proxy tuning as a component: its rules, its resolve step (conntrack sizing), its construct. */
import { ClusterContext, kubernetesMinor } from '../../core/cluster';
import { isZeroDuration } from '../../core/duration';
import { error, FieldPath, Finding, findingsAt, warning } from '../../core/findings';
import { defineComponent, ResolveRecord } from '../component';
import { k3sKubeProxyArgs, kubeProxyConfigYaml } from './configuration';
import { conntrackSizing } from './conntrack';
import { KUBE_PROXY_DEFAULTS, KUBE_PROXY_PRESETS, MIN_SYNC_PERIOD_ZERO_NODE_LIMIT } from './facts';
import { KubeProxyIpvsTuning, KubeProxyIpvsTuningProps, kubeProxyTuningProblems } from './kube-proxy-ipvs-tuning';
import type { KubeProxySpec } from './schema';
import { ipvsModuleStep, kubeProxyRestartStep } from './steps';

export const kubeProxyComponent = defineComponent({
  key: 'kubeProxy',
  phases: { ConfigMap: 'switch' },
  check(section: KubeProxySpec | undefined, ctx: ClusterContext): Finding[] {
    return section === undefined ? [] : checkKubeProxy(section, ctx);
  },
  resolve(section: KubeProxySpec | undefined, ctx: ClusterContext, r: ResolveRecord): KubeProxyIpvsTuningProps | undefined {
    return section === undefined ? undefined : resolveKubeProxy(section, ctx, r);
  },
  render(scope, resolved: KubeProxyIpvsTuningProps) {
    new KubeProxyIpvsTuning(scope, 'KubeProxy', resolved);
  },
});

/**
 * Cross-field rules of `spec.kubeProxy` against the cluster: every problem at once, each with
 * its field path.
 */
export function checkKubeProxy(spec: KubeProxySpec, ctx: ClusterContext): Finding[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'kubeProxy', ...p];
  const out: Finding[] = [];
  const mode = spec.mode ?? KUBE_PROXY_DEFAULTS.mode;
  const modePath = spec.mode !== undefined ? at('mode') : at();
  const minor = kubernetesMinor(ctx.kubernetesVersion);

  if (ctx.kubeProxyReplaced) {
    out.push(error(at(), 'configures kube-proxy, but Cilium replaces kube-proxy in this cluster (kubeProxyReplacement): remove the kubeProxy section'));
  }

  if (mode === 'nftables') {
    if (minor < 31) {
      out.push(error(at('mode'), `nftables needs Kubernetes 1.31 or newer (beta in 1.31, GA in 1.33); this cluster runs ${ctx.kubernetesVersion}: use ipvs`));
    } else if (minor < 33) {
      out.push(warning(at('mode'), `nftables is beta in Kubernetes ${ctx.kubernetesVersion} (GA in 1.33); it also needs Linux 5.13 or newer on every node`, 'KEP-3866: alpha 1.29, beta 1.31, GA 1.33'));
    }
    if (ctx.cni === 'calico') {
      out.push(
        warning(at('mode'), 'nftables: Calico must program nftables too, or its iptables rules and kube-proxy\'s nftables rules disagree; set FelixConfiguration nftablesMode (Enabled, or Auto where Felix detects kube-proxy\'s mode)', 'Calico docs: kube-proxy nftables mode needs Calico\'s nftables data plane'),
      );
    }
  } else if (minor >= 35) {
    out.push(warning(modePath, `IPVS mode is deprecated from Kubernetes 1.35 and this cluster runs ${ctx.kubernetesVersion}: plan the move to mode: nftables (GA since 1.33)`, 'KEP-5495: deprecate ipvs mode in kube-proxy'));
  }
  // The construct's own checks: IPVS-only fields in nftables mode, k3s flags, baseConfig.
  const { conntrackMax: _max, ...tuning } = spec;
  out.push(...findingsAt(at(), kubeProxyTuningProblems({ ...tuning, platform: ctx.platform })));

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
      for (const p of conntrackSizing({ cpuPerNode: ctx.cpuPerNode, conntrackMax: spec.conntrackMax, conntrackMaxPerCore: spec.conntrackMaxPerCore, conntrackMin: spec.conntrackMin }).problems) {
        out.push(p.severity === 'error' ? error(at(p.field), p.message) : warning(at(p.field), p.message, 'kube-proxy defaults: maxPerCore 32768, min 131072'));
      }
    }
  }

  if (ctx.platform !== 'k3s' && spec.baseConfig === undefined) {
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

function resolveKubeProxy(k: KubeProxySpec, ctx: ClusterContext, r: ResolveRecord): KubeProxyIpvsTuningProps {
  const mode = k.mode ?? KUBE_PROXY_DEFAULTS.mode;
  r.decisions.push({ name: 'kube-proxy mode', value: mode, rule: k.mode ? 'set in the profile' : 'default: ipvs (seed 002)' });
  if (mode === 'ipvs') {
    const scheduler = k.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler;
    r.decisions.push({ name: 'IPVS scheduler', value: scheduler, rule: k.scheduler ? 'set in the profile' : 'kube-proxy default: rr (seed 002 uses lc: least connections)', source: 'seed 002' });
  }
  // Without cpuPerNode nothing can be sized, but explicit values still render (the rules warn).
  let conntrack: { conntrackMaxPerCore?: number; conntrackMin?: number } = { conntrackMaxPerCore: k.conntrackMaxPerCore, conntrackMin: k.conntrackMin };
  if (ctx.cpuPerNode !== undefined && (k.conntrackMax !== undefined || k.conntrackMaxPerCore !== undefined || k.conntrackMin !== undefined)) {
    const sizing = conntrackSizing({ cpuPerNode: ctx.cpuPerNode, conntrackMax: k.conntrackMax, conntrackMaxPerCore: k.conntrackMaxPerCore, conntrackMin: k.conntrackMin });
    r.decisions.push(...sizing.decisions);
    conntrack = { conntrackMaxPerCore: sizing.maxPerCore, conntrackMin: sizing.min };
  }
  const { conntrackMax: _max, conntrackMaxPerCore: _perCore, conntrackMin: _min, ...tuning } = k;
  const props: KubeProxyIpvsTuningProps = { ...tuning, ...conntrack, platform: ctx.platform };
  if (ctx.platform === 'k3s') {
    r.steps.push(kubeProxyRestartStep('k3s', { k3sArgs: k3sKubeProxyArgs(props) }));
  } else {
    const preset = KUBE_PROXY_PRESETS[ctx.platform];
    r.restarts.push({ daemonSet: preset.daemonSet, namespace: 'kube-system', configuration: kubeProxyConfigYaml(props)!, why: 'kube-proxy reads its ConfigMap only when it starts' });
    if (mode === 'ipvs') r.steps.push(ipvsModuleStep(k.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler));
  }
  return props;
}
