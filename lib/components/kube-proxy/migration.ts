/**
 * kube-proxy in nftables mode, as the review explains it: what changes for NodePorts, what the
 * nodes need, and for a cluster moving from IPVS (or iptables), the order of the switch, what each
 * node runs in between and how to roll back.
 */
import { ClusterContext, kernelMajorMinor } from '../../core/cluster';
import { isPlainObject } from '../../core/objects';
import { felixNftablesModeFor, NFTABLES_MODE_SINCE, parseCalicoRelease } from '../calico/facts';
import type { ResolveRecord } from '../component';
import { kubeProxyConfiguration, parseBaseConfig } from './configuration';
import { KUBE_PROXY_PRESETS, NFT_MIN_VERSION, NFTABLES_MIN_KERNEL } from './facts';
import type { KubeProxyIpvsTuningProps } from './kube-proxy-ipvs-tuning';
import type { KubeProxySpec } from './schema';
import { markdownCitation, REFERENCES } from '../../core/references';

/** Decisions, steps and rollout lines for a profile whose kube-proxy runs nftables. */
export function nftablesReview(k: KubeProxySpec, ctx: ClusterContext, props: KubeProxyIpvsTuningProps, r: ResolveRecord): void {
  const parsed = k.baseConfig !== undefined ? parseBaseConfig(k.baseConfig) : undefined;
  const base = parsed?.ok ? parsed.config : undefined;
  // An empty or missing mode is iptables on Linux (KubeProxyConfiguration v1alpha1, ProxyMode).
  const from = base === undefined ? undefined : typeof base.mode === 'string' && base.mode !== '' ? base.mode : 'iptables';

  if (ctx.platform !== 'k3s') {
    const config = kubeProxyConfiguration(props, {
      baseConfig: k.baseConfig,
      kubeconfigPath: k.kubeconfigPath ?? KUBE_PROXY_PRESETS[ctx.platform].kubeconfig,
    });
    const n = config.nftables as Record<string, unknown>;
    r.decisions.push({
      name: 'nftables section',
      value: `syncPeriod ${n.syncPeriod}, minSyncPeriod ${n.minSyncPeriod}, masqueradeBit ${n.masqueradeBit}, masqueradeAll ${n.masqueradeAll}`,
      rule:
        "sync periods from the profile, else baseConfig's nftables section, else nftables' defaults (30s, 1s; IPVS's are not carried: its " +
        "minSyncPeriod defaults to 0s); masquerade settings from baseConfig's nftables, else its iptables section (the same meaning in both modes)",
      source: [REFERENCES.kubeProxyConfig],
    });
  }
  if (base && isPlainObject(base.ipvs)) {
    r.decisions.push({
      name: 'IPVS settings',
      value: 'dropped',
      rule: `baseConfig's ipvs section (${Object.keys(base.ipvs).sort().join(', ')}) is left out: kube-proxy reads it in IPVS mode only`,
    });
  }
  r.decisions.push({
    name: 'NodePorts on 127.0.0.1',
    value: from === 'ipvs' ? 'unavailable, as under IPVS' : 'stop working',
    rule:
      from === 'ipvs'
        ? 'only iptables mode serves NodePorts on localhost; IPVS did not either, so nothing changes'
        : 'only iptables mode serves NodePorts on localhost (IPv4, localhostNodePorts); nftables does not: check that ' +
          'kubeproxy_iptables_localhost_nodeports_accepted_packets_total stays 0 before the sync',
    source: [REFERENCES.nftablesMigration],
  });
  const addresses = base?.nodePortAddresses;
  r.decisions.push({
    name: 'nodePortAddresses',
    value: Array.isArray(addresses) && addresses.length > 0 ? addresses.join(', ') : 'primary (nftables default)',
    rule:
      Array.isArray(addresses) && addresses.length > 0
        ? 'kept from baseConfig: NodePorts answer on these addresses as before'
        : `${base ? 'baseConfig sets none' : 'no baseConfig'}: nftables answers NodePorts only on the node's primary addresses, where ` +
          `iptables and IPVS answered on every local address; set nodePortAddresses: ["0.0.0.0/0"] in baseConfig to keep every address`,
    source: [REFERENCES.nftablesMigration],
  });
  if (props.conntrackTcpBeLiberal === undefined && from !== 'ipvs') {
    r.notes.push(
      'iptables mode drops conntrack-INVALID packets itself (a workaround for a kernel bug before 6.1 that can reset long-lived connections); ' +
        'nftables mode does not. If `kubeproxy_iptables_ct_state_invalid_dropped_packets_total` was not zero, set ' +
        '`kubeProxy.conntrackTcpBeLiberal: true`.',
    );
  }

  r.steps.push(nodeCheckStep(ctx));
  if (from === 'nftables') return;
  const lines = migrationLines(ctx, from);
  const back = lines.findIndex((l) => l.startsWith('To roll back'));
  r.rollout.push(...lines.slice(0, back - 1));
  r.rollback.push({
    component: 'kube-proxy',
    revert: lines.slice(back).join('\n'),
    pointOfNoReturn:
      `each kube-proxy that restarts into nftables removes the ` +
      `rules of ${from ?? 'its previous mode'} on its node: going back programs them anew, node by node, in the order above; nothing keeps the old ` +
      `rules around`,
  });
}

/** Linux 5.13 and nft 1.0.1 on every node: what to run, or what the profile already says. */
function nodeCheckStep(ctx: ClusterContext): string {
  const [major, minor] = NFTABLES_MIN_KERNEL;
  const kernel =
    ctx.nodeKernel !== undefined && kernelMajorMinor(ctx.nodeKernel)
      ? `every node runs Linux ${ctx.nodeKernel} or newer (spec.nodeKernel), at least the ${major}.${minor} nftables mode needs`
      : `every node runs ` +
        `Linux ${major}.${minor} or newer: \`kubectl get nodes -o custom-columns=NAME:.metadata.name,KERNEL:.status.nodeInfo.kernelVersion\``;
  const nft =
    ctx.platform === 'k3s'
      ? `\`nft --version\` on each node shows ${NFT_MIN_VERSION} or newer`
      : `the kube-proxy image brings ` +
        `nft ${NFT_MIN_VERSION} or newer: \`kubectl -n kube-system exec ds/${KUBE_PROXY_PRESETS[ctx.platform].daemonSet} -- nft --version\``;
  return (
    `Before the sync, check that ${kernel}, and that ${nft}. ` +
    'A node below either keeps failing to program Services after its kube-proxy restarts.'
  );
}

/** The switch from `from` (undefined: not known) to nftables, node by node, and the way back. */
function migrationLines(ctx: ClusterContext, from: string | undefined): string[] {
  const old = from ?? 'its current mode';
  const release = ctx.cni === 'calico' && ctx.calicoVersion !== undefined ? parseCalicoRelease(ctx.calicoVersion) : undefined;
  const felix = release ? felixNftablesModeFor(release) : undefined;
  const operator = ctx.calicoInstall === 'operator';
  const calico = ctx.cni === 'calico';
  const out = [`Moving kube-proxy from ${old} to nftables, in this order:`, ''];
  let n = 0;
  if (calico) {
    out.push(
      operator
        ? `${++n}. Felix first: the Installation step under "By hand", before the sync; the operator writes nftablesMode and rolls calico-node.`
        : `${++n}. Felix first: FelixConfiguration default gets ` +
            `nftablesMode ${felix ?? '(see calico.version)'}, applied before the kube-proxy ConfigMap.`,
    );
  }
  out.push(
    `${++n}. The kube-proxy ConfigMap (mode: nftables): kube-proxy reads it only when it starts, so nothing changes yet.`,
    `${++n}. kube-proxy restarts node by node. Each new kube-proxy removes the ` +
      `rules ${from === 'ipvs' ? 'the IPVS mode left (virtual servers, ipsets, iptables chains)' : 'of the other modes'} and programs its own ` +
      `nftables table (${markdownCitation([REFERENCES.nftablesMigration])}); the node's Services are served by the old rules until then.`,
    '',
    'What each node runs in between:',
    '',
  );
  if (!calico) {
    out.push(`- its kube-proxy in ${old} mode until its pod is replaced, then nftables; NetworkPolicy enforcement does not change.`);
  } else if (operator || felix === 'Auto' || felix === undefined) {
    out.push(
      `- ${operator ? "With the operator's Auto (Calico 3.32 and newer), " : ''}Felix follows its own node: it looks for kube-proxy's ` +
        `nftables table every 15 s and restarts into nftables mode once this node's kube-proxy has switched ("kube-proxy nftables mode changed. ` +
        `Restart felix.", ${markdownCitation([REFERENCES.felixDataplane])}), so Felix and kube-proxy agree on every node ` +
        `throughout.${operator ? ' Before 3.32 the operator writes Enabled: see the next point.' : ''}`,
    );
    if (operator) out.push(enabledInBetween(old));
  } else {
    out.push(enabledInBetween(old));
  }
  // A plain revert of the commit would switch Felix back first, where Felix does not follow kube-proxy by itself.
  const revertIsEnough = !calico || (!operator && felix === 'Auto');
  out.push(
    '',
    `To roll back, go back to ${from === 'iptables' ? 'iptables' : 'ipvs'} in reverse order, kube-proxy first` +
      (revertIsEnough
        ? ' (reverting the commit does exactly that):'
        : ', not by reverting the commit in one go, which would switch Felix back first:'),
    '',
  );
  out.push(
    from === 'iptables'
      ? '- Revert the kubeProxy change (the previous ConfigMap held mode iptables) and sync: kube-proxy restarts node by node, and each new ' +
          'one removes its nftables table and programs iptables.'
      : '- Set `kubeProxy.mode: ipvs` again (with the IPVS settings you had) and sync: kube-proxy restarts node by node, and each new one ' +
          'removes its nftables table and programs IPVS.',
  );
  if (calico && operator) {
    out.push(
      '- Then set the Installation back: `kubectl patch installation default --type=merge -p ' +
        '\'{"spec":{"calicoNetwork":{"linuxDataplane":"Iptables"}}}\'`.',
    );
  } else if (calico && felix === 'Auto') {
    out.push('- Felix needs nothing: with Auto each Felix follows its own kube-proxy back to iptables.');
  } else if (calico) {
    out.push(
      `- Keep Felix on nftables while kube-proxy rolls back: in the same change set \`calico.nftablesMode: Enabled\` (otherwise netscale ` +
        `stops rendering it, and every Felix drops back to iptables at once, before kube-proxy has). Once every kube-proxy runs IPVS, remove ` +
        `\`calico.nftablesMode\`: Felix returns to iptables (Disabled, the default before ${NFTABLES_MODE_SINCE.auto}).`,
    );
  }
  return out;
}

function enabledInBetween(old: string): string {
  return (
    `- With Enabled ` +
    `(Calico ${NFTABLES_MODE_SINCE.switch} to before ${NFTABLES_MODE_SINCE.auto}, which cannot detect kube-proxy's mode), every Felix restarts ` +
    `into nftables mode as soon as FelixConfiguration changes, while each node's kube-proxy ` +
    `keeps ${old} until its pod is replaced: for that window the node runs Felix's nftables rules next to ` +
    `kube-proxy's ${old} rules, a pairing Calico does not document (it asks for both in one mode). The kube-proxy restart follows in the same ` +
    `sync: keep it short, and watch calico-node readiness meanwhile.`
  );
}
