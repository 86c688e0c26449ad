/**
 * dist/argocd/: one Application per cluster syncing its folder, the Cilium Applications, and the
 * fleet's root Application syncing dist/argocd/ itself, so one `kubectl apply` bootstraps all.
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterChart } from '../../cluster/cluster-chart';
import { CiliumApplication } from '../../components/cilium/cilium-application';
import { ciliumApplicationName } from '../../components/cilium/facts';
import { ARGOCD_FOLDER, DirectoryApplication, FLEET_APPLICATION } from './directory-application';

export { ciliumApplicationName };

export function argocdChart(scope: Construct, clusters: readonly ClusterChart[]): Chart | undefined {
  const managed = clusters.filter((p) => p.cluster.argocd);
  if (managed.length === 0) return undefined;
  const chart = new Chart(scope, ARGOCD_FOLDER, { disableResourceNameHashes: true });
  // Every profile agrees on these (checked when loading); the first names the root's source.
  const root = managed[0].cluster.argocd!;
  const source = { repoURL: root.repoURL, targetRevision: root.targetRevision, namespace: root.namespace, project: root.project };
  new DirectoryApplication(chart, FLEET_APPLICATION, { ...source, name: FLEET_APPLICATION, path: `${root.path}/${ARGOCD_FOLDER}`, destinationNamespace: root.namespace });
  for (const clusterChart of managed) {
    const c = clusterChart.cluster;
    const a = c.argocd!;
    // A cluster whose only change is the Cilium chart has no folder to sync.
    if (clusterChart.node.findAll().some((o) => o instanceof ApiObject)) {
      new DirectoryApplication(chart, c.name, { ...source, project: a.project, name: c.name, path: `${a.path}/${c.name}`, destination: a.destination });
    }
    if (c.cilium?.delivery === 'argocd') {
      new CiliumApplication(chart, ciliumApplicationName(c.name), {
        name: ciliumApplicationName(c.name),
        namespace: a.namespace,
        project: a.project,
        destinationServer: a.destination.server,
        destinationName: a.destination.name,
        version: c.cilium.version,
        values: c.cilium.values,
        automated: true,
      });
    }
  }
  return chart;
}
