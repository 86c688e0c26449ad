/** kube-proxy tuning as a component: its rules, its resolve step (conntrack sizing), its construct. */
import { ClusterContext, kernelMajorMinor, kubernetesMinor } from '../../core/cluster';
import { isPlainObject } from '../../core/objects';
import { isZeroDuration } from '../../core/duration';
import { error, FieldPath, Finding, findingsAt, warning } from '../../core/findings';
import { defineComponent, ResolveRecord } from '../component';
import { k3sKubeProxyArgs, kubeProxyConfigYaml, parseBaseConfig } from './configuration';
import { conntrackSizing } from './conntrack';
import {
  ACK_NFTABLES_SINCE,
  ACK_NFTABLES_SOURCE,
  CONNTRACK_TCP_BE_LIBERAL_SINCE,
  IPVS_DEPRECATION,
  KUBE_PROXY_DEFAULTS,
  KUBE_PROXY_PRESETS,
  MIN_SYNC_PERIOD_ZERO_NODE_LIMIT,
  NFTABLES_MIN_KERNEL,
  NFTABLES_PROXY_MODE,
} from './facts';
import { nftablesReview } from './migration';
import { KubeProxyIpvsTuning, KubeProxyIpvsTuningProps, kubeProxyTuningProblems } from './kube-proxy-ipvs-tuning';
import type { KubeProxySpec } from './schema';
import { kubeProxyChanges, kubeProxyRollback, kubeProxyVerify } from './review';
import { ipvsModuleStep, kubeProxyRestartStep } from './steps';
import { REFERENCES } from '../../core/references';

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
    out.push(
      error(at(), 'configures kube-proxy, but Cilium replaces kube-proxy in this cluster (kubeProxyReplacement): remove the kubeProxy section'),
    );
  }

  const base = spec.baseConfig !== undefined ? parseBaseConfig(spec.baseConfig) : undefined;
  const baseConfig = base?.ok ? base.config : undefined;
  if (mode === 'nftables') out.push(...checkNftables(spec, ctx, baseConfig));
  else if (minor >= IPVS_DEPRECATION.deprecated) out.push(ipvsDeprecationWarning(modePath, ctx.kubernetesVersion, minor));
  if (spec.conntrackTcpBeLiberal !== undefined && minor < CONNTRACK_TCP_BE_LIBERAL_SINCE) {
    out.push(
      error(
        at('conntrackTcpBeLiberal'),
        `conntrack.tcpBeLiberal exists in KubeProxyConfiguration from ` +
          `Kubernetes 1.${CONNTRACK_TCP_BE_LIBERAL_SINCE}; this cluster runs ${ctx.kubernetesVersion}: remove it`,
      ),
    );
  }
  // The construct's own checks: IPVS-only fields in nftables mode, k3s flags, baseConfig.
  const { conntrackMax: _max, ...tuning } = spec;
  out.push(...findingsAt(at(), kubeProxyTuningProblems({ ...tuning, platform: ctx.platform })));

  if (spec.minSyncPeriod !== undefined && isZeroDuration(spec.minSyncPeriod) && ctx.nodes > MIN_SYNC_PERIOD_ZERO_NODE_LIMIT) {
    out.push(
      warning(
        at('minSyncPeriod'),
        `${spec.minSyncPeriod} on ${ctx.nodes} nodes resyncs every node's rules on every endpoint change, which in a cluster this size is ` +
          `nearly constant: use 1s (upstream's advice) so changes are batched`,
        [REFERENCES.virtualIps],
      ),
    );
  }

  if (spec.conntrackMax !== undefined && (spec.conntrackMaxPerCore !== undefined || spec.conntrackMin !== undefined)) {
    const others = (['conntrackMaxPerCore', 'conntrackMin'] as const).filter((f) => spec[f] !== undefined);
    out.push(
      error(
        at('conntrackMax'),
        `sets maxPerCore and min itself (maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax): ` +
          `remove ${others.join(' and ')}, or conntrackMax`,
      ),
    );
  } else if (spec.conntrackMax !== undefined || spec.conntrackMaxPerCore !== undefined || spec.conntrackMin !== undefined) {
    if (ctx.cpuPerNode === undefined) {
      if (spec.conntrackMax !== undefined) {
        out.push(error(at('conntrackMax'), 'needs spec.cpuPerNode: maxPerCore = ceil(conntrackMax / cpuPerNode)'));
      } else {
        out.push(
          warning(
            at(spec.conntrackMaxPerCore !== undefined ? 'conntrackMaxPerCore' : 'conntrackMin'),
            "nf_conntrack_max is not checked: set spec.cpuPerNode to size the table and check it against the int32 limit and kube-proxy's default",
          ),
        );
      }
    } else {
      for (const p of conntrackSizing({
        cpuPerNode: ctx.cpuPerNode,
        conntrackMax: spec.conntrackMax,
        conntrackMaxPerCore: spec.conntrackMaxPerCore,
        conntrackMin: spec.conntrackMin,
      }).problems) {
        out.push(p.severity === 'error' ? error(at(p.field), p.message) : warning(at(p.field), p.message, [REFERENCES.kubeProxyFlags]));
      }
    }
  }

  if (ctx.platform !== 'k3s' && spec.baseConfig === undefined) {
    const preset = KUBE_PROXY_PRESETS[ctx.platform];
    out.push(
      warning(
        at(),
        `has no baseConfig, so ${preset.configMapKey} is rendered whole from kube-proxy's defaults and replaces what the cluster has today ` +
          `(clusterCIDR, featureGates, hostnameOverride ...): paste the current one as baseConfig from \`kubectl -n kube-system ` +
          `get cm ${preset.configMapName} -o jsonpath='{.data.config\\.conf}'\``,
      ),
    );
  }
  return out;
}

/** nftables mode against the Kubernetes release, the platform, the nodes and the cluster's configuration. */
function checkNftables(spec: KubeProxySpec, ctx: ClusterContext, base: Readonly<Record<string, unknown>> | undefined): Finding[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'kubeProxy', ...p];
  const out: Finding[] = [];
  const minor = kubernetesMinor(ctx.kubernetesVersion);
  const gate = NFTABLES_PROXY_MODE;
  if (minor < gate.alpha) {
    out.push(
      error(
        at('mode'),
        `nftables mode exists from Kubernetes 1.${gate.alpha} (alpha, behind ` +
          `the ${gate.gate} feature gate); this cluster runs ${ctx.kubernetesVersion}: stay on ipvs until it is upgraded`,
      ),
    );
  } else if (minor < gate.beta) {
    out.push(
      warning(
        at('mode'),
        `nftables is alpha in Kubernetes ${ctx.kubernetesVersion}: kube-proxy refuses the mode without ` +
          `the ${gate.gate} feature gate, which netscale turns on in featureGates; alpha features may change, so ` +
          `prefer 1.${gate.beta} (beta) or 1.${gate.ga} (GA)`,
        [REFERENCES.kep3866],
      ),
    );
  } else if (minor < gate.ga) {
    out.push(warning(at('mode'), `nftables is beta in Kubernetes ${ctx.kubernetesVersion} (GA in 1.${gate.ga})`, [REFERENCES.kep3866]));
  }
  const gates = isPlainObject(base?.featureGates) ? base.featureGates : {};
  if (minor >= gate.ga && gates[gate.gate] === false) {
    out.push(
      error(
        at('baseConfig'),
        `sets featureGates.${gate.gate}: false, but the gate is GA and locked on from ` +
          `Kubernetes 1.${gate.ga}: kube-proxy refuses to start; remove it`,
      ),
    );
  }
  if (ctx.platform === 'ack') {
    if (minor < ACK_NFTABLES_SINCE) {
      out.push(
        error(
          at('mode'),
          `ACK's managed kube-proxy offers nftables only on Kubernetes 1.${ACK_NFTABLES_SINCE} and newer (iptables and IPVS before); this cluster ` +
            `runs ${ctx.kubernetesVersion}: stay on ipvs, or upgrade the cluster first`,
        ),
      );
    } else if (base !== undefined && base.mode !== 'nftables') {
      out.push(
        warning(
          at('mode'),
          `ACK sets kube-proxy's mode when the cluster is created (proxy_mode is ForceNew), and this cluster ` +
            `runs ${JSON.stringify(base.mode ?? '')}: check with ACK that its kube-proxy add-on keeps a mode changed in kube-proxy-worker, ` +
            `or create the cluster (or a new one) with nftables`,
          ACK_NFTABLES_SOURCE,
        ),
      );
    }
  }
  const kernel = ctx.nodeKernel !== undefined ? kernelMajorMinor(ctx.nodeKernel) : undefined;
  const [major, minorKernel] = NFTABLES_MIN_KERNEL;
  if (kernel && (kernel[0] < major || (kernel[0] === major && kernel[1] < minorKernel))) {
    out.push(
      error(
        ['spec', 'nodeKernel'],
        `${ctx.nodeKernel} is older than ` +
          `Linux ${major}.${minorKernel}, which kube-proxy's nftables mode needs: keep ipvs until the nodes run ${major}.${minorKernel} or newer`,
      ),
    );
  }
  return out;
}

function ipvsDeprecationWarning(path: FieldPath, version: string, minor: number): Finding {
  const d = IPVS_DEPRECATION;
  const when =
    minor >= d.removed
      ? `the IPVS proxier is planned to be gone in 1.${d.removed}`
      : minor >= d.defaultOff
        ? `from 1.${d.defaultOff} kube-proxy is planned to refuse IPVS mode unless the ${d.gateName} feature gate is on`
        : `kube-proxy warns at start; IPVS is planned to be off by default ` +
          `in 1.${d.defaultOff} (${d.defaultOff - minor} minor releases from here) and removed in 1.${d.removed}`;
  return warning(
    path,
    `IPVS mode is deprecated from Kubernetes 1.${d.deprecated} and this cluster ` +
      `runs ${version}: ${when}. Move to mode: nftables (GA since 1.33); the review gives the order and the rollback`,
    [REFERENCES.kep5495],
  );
}

function resolveKubeProxy(k: KubeProxySpec, ctx: ClusterContext, r: ResolveRecord): KubeProxyIpvsTuningProps {
  const mode = k.mode ?? KUBE_PROXY_DEFAULTS.mode;
  r.decisions.push({ name: 'kube-proxy mode', value: mode, rule: k.mode ? 'set in the profile' : 'default: ipvs' });
  if (mode === 'ipvs') {
    const scheduler = k.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler;
    r.decisions.push({
      name: 'IPVS scheduler',
      value: scheduler,
      rule: k.scheduler ? 'set in the profile' : 'kube-proxy default: rr (lc, least connections, suits busy data planes)',
      source: [REFERENCES.virtualIps],
    });
  }
  // Without cpuPerNode nothing can be sized, but explicit values still render (the rules warn).
  let conntrack: { conntrackMaxPerCore?: number; conntrackMin?: number } = {
    conntrackMaxPerCore: k.conntrackMaxPerCore,
    conntrackMin: k.conntrackMin,
  };
  if (ctx.cpuPerNode !== undefined && (k.conntrackMax !== undefined || k.conntrackMaxPerCore !== undefined || k.conntrackMin !== undefined)) {
    const sizing = conntrackSizing({
      cpuPerNode: ctx.cpuPerNode,
      conntrackMax: k.conntrackMax,
      conntrackMaxPerCore: k.conntrackMaxPerCore,
      conntrackMin: k.conntrackMin,
    });
    r.decisions.push(...sizing.decisions);
    conntrack = { conntrackMaxPerCore: sizing.maxPerCore, conntrackMin: sizing.min };
  }
  const { conntrackMax: _max, conntrackMaxPerCore: _perCore, conntrackMin: _min, ...tuning } = k;
  const minor = kubernetesMinor(ctx.kubernetesVersion);
  // 1.29-1.30: kube-proxy accepts mode nftables only with its alpha feature gate on.
  const featureGates = mode === 'nftables' && minor < NFTABLES_PROXY_MODE.beta ? { [NFTABLES_PROXY_MODE.gate]: true } : undefined;
  if (featureGates)
    r.decisions.push({
      name: `featureGates.${NFTABLES_PROXY_MODE.gate}`,
      value: 'true',
      rule: `Kubernetes ${ctx.kubernetesVersion}: nftables mode is alpha and its gate is off by default (on from 1.${NFTABLES_PROXY_MODE.beta})`,
      source: [REFERENCES.kep3866],
    });
  const props: KubeProxyIpvsTuningProps = { ...tuning, ...conntrack, ...(featureGates ? { featureGates } : {}), platform: ctx.platform };
  if (mode === 'nftables') nftablesReview(k, ctx, props, r);
  r.changes.push(kubeProxyChanges(k, ctx, props, r.decisions));
  r.verify.push(...kubeProxyVerify(k, ctx, r.decisions));
  // The migration's own way back comes first: it says the order.
  if (!r.rollback.some((n) => n.component === 'kube-proxy')) r.rollback.push(kubeProxyRollback(k, ctx));
  if (ctx.platform === 'k3s') {
    r.steps.push(kubeProxyRestartStep('k3s', { k3sArgs: k3sKubeProxyArgs(props) }));
  } else {
    const preset = KUBE_PROXY_PRESETS[ctx.platform];
    r.restarts.push({
      daemonSet: preset.daemonSet,
      namespace: 'kube-system',
      configuration: kubeProxyConfigYaml(props)!,
      why: 'kube-proxy reads its ConfigMap only when it starts',
    });
    if (mode === 'ipvs') r.steps.push(ipvsModuleStep(k.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler));
  }
  return props;
}
