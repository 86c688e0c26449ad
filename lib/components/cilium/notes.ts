/** The review's Cilium notes: the values and why, what to do on the nodes and in Argo CD, how to verify and recover. */
import { Platform } from '../../core/cluster';
import { ciliumIssue, markdownCitation, REFERENCES } from '../../core/references';
import { ChangeArea, flattenSettings, listSettings, RollbackNote, VerifyStep } from '../../core/review-parts';
import { CILIUM_CHART, CILIUM_HELM_REPO, CILIUM_NAMESPACE, ciliumApplicationName, ciliumCli, CiliumDelivery, ciliumValuesPath } from './facts';
import type { CiliumSpec } from './schema';
import { ciliumValues } from './values';
import { automatedSyncPatch, CILIUM_AUTOMATED_SYNC, FOLDER_AUTOMATED_SYNC } from '../../core/argocd';

export interface CiliumNotesContext {
  readonly delivery: CiliumDelivery;
  /** Names the values file and the Argo CD Applications. */
  readonly cluster: string;
  readonly platform?: Platform;
  /** How Argo CD delivers this cluster, when it does. */
  readonly argocd?: {
    /** Namespace of the Applications. */
    readonly namespace: string;
    /** Argo CD runs inside this cluster, so it needs the network Cilium provides to sync anything. */
    readonly inCluster: boolean;
  };
}

/**
 * Lines for the cluster review: the values with their reasons, how a values change reaches the
 * pods, what to do on the nodes and in Argo CD, how to verify that kube-proxy is gone, and how to
 * recover when a change breaks the datapath.
 */
export function ciliumReviewNotes(spec: CiliumSpec, ctx: CiliumNotesContext): string[] {
  const { delivery, platform } = ctx;
  const onK3s = delivery === 'k3s' || platform === 'k3s';
  const valuesFile = `dist/${ciliumValuesPath(ctx.cluster)}`;
  const helmInstall = `helm install ${CILIUM_CHART} cilium/cilium --version ${spec.version} --namespace ${CILIUM_NAMESPACE} -f ${valuesFile}`;
  const lines: string[] = [];

  lines.push(
    `Cilium ${spec.version} replaces kube-proxy ` +
      `completely (${markdownCitation([REFERENCES.ciliumKubeProxyFree])}); the Changes table lists the chart values and why.`,
    '',
  );
  lines.push(
    'A values change reaches the running pods by itself: with `rollOutCiliumPods` and `operator.rollOutPods` the chart puts the checksum of ' +
      "cilium-config on the agent and operator pod templates, so a new configuration rolls them, the agents at the DaemonSet's own maxUnavailable. " +
      'No restart Job is needed.',
    '',
  );

  if (onK3s) {
    lines.push(
      `k3s: start every server with \`--flannel-backend=none --disable-network-policy --disable-kube-proxy --disable=servicelb\`, so k3s ` +
        `brings no CNI, no NetworkPolicy controller, no kube-proxy and no ServiceLB of its own (${markdownCitation([REFERENCES.ciliumK3s])}).`,
    );
  } else if (platform === 'kubeadm') {
    lines.push(
      'kubeadm: create the cluster with `kubeadm init --skip-phases=addon/kube-proxy`, or remove kube-proxy from a running one: `kubectl -n ' +
        'kube-system delete ds kube-proxy`, `kubectl -n kube-system delete cm kube-proxy`, then on every node `iptables-save | grep -v KUBE | ' +
        'iptables-restore`.',
    );
  } else {
    lines.push(
      'Remove kube-proxy before installing: delete its DaemonSet and ConfigMap, then on every node `iptables-save | grep -v KUBE | ' +
        'iptables-restore`.',
    );
  }

  if (delivery === 'k3s') lines.push(...helmChartNotes(ctx));
  else if (delivery === 'argocd') lines.push(...applicationNotes(spec, ctx, helmInstall));
  else lines.push(`Install: \`helm repo add cilium ${CILIUM_HELM_REPO}\`, then \`${helmInstall}\`.`);
  return lines;
}

/** The checks after a Cilium rollout: the kube-proxy replacement is on, serves the Services, and no kube-proxy rule is left. */
export function ciliumVerify(spec: CiliumSpec): VerifyStep[] {
  const { values } = ciliumValues(spec);
  const cli = ciliumCli(spec.version);
  const component = 'Cilium';
  const strictWord = values.kubeProxyReplacement === 'strict' ? 'Strict' : 'True';
  return [
    {
      component,
      check: `\`kubectl -n ${CILIUM_NAMESPACE} rollout status ds/cilium\``,
      healthy: '`successfully rolled out`: every agent runs the new configuration',
    },
    {
      component,
      check:
        `\`kubectl -n ${CILIUM_NAMESPACE} exec ds/cilium -- ${cli} status | grep ` +
        `KubeProxyReplacement\`${cli === 'cilium-dbg' ? ' (the in-pod CLI is cilium-dbg from 1.15)' : ''}`,
      healthy: `\`KubeProxyReplacement: ${strictWord}\``,
    },
    {
      component,
      check: `\`kubectl -n ${CILIUM_NAMESPACE} exec ds/cilium -- ${cli} service list\``,
      healthy: 'the ClusterIP and NodePort services, each with its backends',
    },
    { component, check: 'on a node: `sudo iptables-save | grep KUBE-SVC`', healthy: 'nothing: no kube-proxy rules are left' },
  ];
}

/** What the Changes table lists for the chart values: every value netscale sets, and why. */
export function ciliumChanges(spec: CiliumSpec): ChangeArea {
  const { values, decisions } = ciliumValues(spec);
  const extra = new Set(flattenSettings(spec.values ?? {}).keys());
  return {
    where: `Cilium chart ${spec.version} values`,
    unknown: "the release's current values live in the cluster, not in the profile: `helm -n kube-system get values cilium` shows them",
    changes: listSettings(
      values,
      (s) =>
        decisions.find((d) => d.name === s)?.rule ??
        (extra.has(s) ? 'set in the profile (spec.cilium.values)' : "netscale's setting for a kube-proxy replacement"),
    ),
  };
}

/** What a revert does to Cilium, and what it cannot undo. */
export function ciliumRollback(spec: CiliumSpec, delivery: CiliumDelivery): RollbackNote {
  const how =
    delivery === 'values'
      ? `by hand: \`helm -n ${CILIUM_NAMESPACE} rollback ${CILIUM_CHART} <revision>\` ` +
        `(\`helm -n ${CILIUM_NAMESPACE} history ${CILIUM_CHART}\` lists them), or \`helm upgrade\` with the previous values file`
      : delivery === 'k3s'
        ? 'the helm controller upgrades the release back from the previous HelmChart'
        : 'the Application syncs the previous values';
  return {
    component: 'Cilium',
    revert: `The values go back (${how}) and the agents roll again at their pace, as in the Duration table.`,
    pointOfNoReturn:
      `kube-proxy is gone while Cilium replaces it: Services depend on Cilium, and no revert of the values brings kube-proxy ` +
      `back; to leave the kube-proxy replacement, reinstall kube-proxy first. After an upgrade to a newer ` +
      `minor (${spec.version}), go back only to the previous minor, with that release's downgrade ` +
      `notes (${markdownCitation([REFERENCES.ciliumUpgrade])})`,
  };
}

/** The HelmChart: who applies it, and what to do when an upgrade fails. */
function helmChartNotes(ctx: CiliumNotesContext): string[] {
  const file = `dist/${ctx.cluster}/HelmChart.${CILIUM_CHART}.k8s.yaml`;
  const lines: string[] = [];
  if (!ctx.argocd) {
    lines.push(
      `The HelmChart has \`bootstrap: true\`, so the k3s helm controller installs it while nodes are still NotReady for lack of a CNI. On a ` +
        `new cluster put \`${file}\` in \`/var/lib/rancher/k3s/server/manifests/\` on the first server; on a running one \`kubectl apply ` +
        `--server-side -f ${file}\`. Use one of the two, not both: k3s re-applies a file in that folder at every start.`,
    );
  } else if (ctx.argocd.inCluster) {
    lines.push(
      `The HelmChart has \`bootstrap: true\`, so the k3s helm controller installs it while nodes are still NotReady for lack of a CNI. Argo ` +
        `CD runs in this cluster and needs a CNI before it can sync, so apply it once by hand (\`kubectl apply ` +
        `--server-side -f ${file}\`); the Application \`${ctx.cluster}\` then adopts it and owns it from there. Do not also put it in ` +
        `\`/var/lib/rancher/k3s/server/manifests/\`: k3s would re-apply its own copy at every start, and two owners undo each other's changes.`,
    );
  } else {
    lines.push(
      `The HelmChart has \`bootstrap: true\`, so the k3s helm controller installs it while nodes are still NotReady for lack of a CNI. The ` +
        `Application \`${ctx.cluster}\` syncs it; do not also put it in \`/var/lib/rancher/k3s/server/manifests/\`: k3s would re-apply its ` +
        `own copy at every start, and two owners undo each other's changes.`,
    );
  }
  if (ctx.argocd) {
    lines.push(
      'Argo CD never prunes or deletes it (`Prune=false,Delete=false`): deleting a HelmChart makes the helm controller uninstall Cilium, and ' +
        'every pod with it.',
    );
  }
  lines.push(
    `It has \`failurePolicy: abort\`: when an install or upgrade fails, the helm controller leaves the release failed and its Job waits ` +
      `("waiting for operator intervention") instead of uninstalling Cilium and installing it again. To recover: read ` +
      `\`kubectl -n ${CILIUM_NAMESPACE} logs job/helm-install-${CILIUM_CHART}\`, find the last good revision with ` +
      `\`helm -n ${CILIUM_NAMESPACE} history ${CILIUM_CHART}\`, run \`helm -n ${CILIUM_NAMESPACE} rollback ${CILIUM_CHART} <revision>\`, then fix ` +
      `the values in the profile; the Job upgrades from the rolled-back release on its next try.`,
  );
  if (ctx.argocd?.inCluster) {
    lines.push(
      '',
      'If a change breaks the datapath, Argo CD cannot sync the fix (it runs on that network); the helm controller still can, since its Job ' +
        'runs on the host network:',
      `1. Stop Argo CD from re-applying the change: \`${automatedSyncPatch(ctx.argocd.namespace, ctx.cluster, undefined)}\`.`,
      `2. Apply the last good HelmChart: \`git show <last good ` +
        `commit>:${file} | kubectl apply --server-side --force-conflicts -f -\`; if the release is left failed, ` +
        `\`helm -n ${CILIUM_NAMESPACE} rollback ${CILIUM_CHART} <revision>\` first.`,
      `3. Revert the commit, then turn automated sync back on: \`${automatedSyncPatch(ctx.argocd.namespace, ctx.cluster, FOLDER_AUTOMATED_SYNC)}\`.`,
    );
  }
  return lines;
}

/** The Cilium Application: bootstrap, what Argo CD needs, and the way back when Argo CD cannot help. */
function applicationNotes(spec: CiliumSpec, ctx: CiliumNotesContext, helmInstall: string): string[] {
  const app = ciliumApplicationName(ctx.cluster);
  const namespace = ctx.argocd?.namespace ?? 'argocd';
  const lines = [
    ctx.argocd?.inCluster
      ? `Bootstrap: Argo CD runs inside this cluster and needs a CNI before it can run, so it cannot install the first one. Install once by ` +
        `hand (\`helm repo add ` +
        `cilium ${CILIUM_HELM_REPO}\`, then \`${helmInstall}\`); the Application \`${app}\` then takes the objects over (it renders the same chart ` +
        `and values).`
      : `Bootstrap: the ` +
        `Application \`${app}\` installs the chart from the Argo CD that manages this cluster. If this cluster already runs a Cilium installed by ` +
        `hand, install it with the same values (\`${helmInstall}\`) and the Application takes the objects over.`,
    `Argo CD: exclude CiliumIdentity in the \`argocd-cm\` ConfigMap, or Argo CD deletes the identities the agents ` +
      `create (${markdownCitation([ciliumIssue(17614), REFERENCES.ciliumArgocd])}), then restart the Argo CD server and application controller:`,
    '```yaml',
    'resource.exclusions: |',
    '  - apiGroups:',
    '      - cilium.io',
    '    kinds:',
    '      - CiliumIdentity',
    '    clusters:',
    '      - "*"',
    '```',
    `The Application ignores the Secrets the chart generates anew on every render (its CA and the Hubble ` +
      `certificates of ${spec.version}), and syncs server-side.`,
  ];
  if (ctx.argocd?.inCluster) {
    lines.push(
      '',
      'If a values change breaks the datapath, Argo CD cannot sync the fix (it runs on that network). Recover with Helm from a machine that ' +
        'reaches the API server:',
      `1. Stop Argo CD from re-applying the change: \`${automatedSyncPatch(namespace, app, undefined)}\`.`,
      `2. Take the last good values: \`git show <last good ` +
        `commit>:dist/${ciliumValuesPath(ctx.cluster)} > good-values.yaml\`, and apply them: \`helm repo add ` +
        `cilium ${CILIUM_HELM_REPO}\`, \`helm upgrade ${CILIUM_CHART} cilium/cilium --version <chart version of that commit> ` +
        `--namespace ${CILIUM_NAMESPACE} -f good-values.yaml\`.`,
      `3. Wait for the agents: \`kubectl -n ${CILIUM_NAMESPACE} rollout status ds/cilium\`.`,
      `4. Revert the commit, then turn automated sync back on: \`${automatedSyncPatch(namespace, app, CILIUM_AUTOMATED_SYNC)}\`.`,
    );
  }
  return lines;
}
