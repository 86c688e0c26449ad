/**
 * `helm get values cilium -o yaml` to `spec.cilium`: the settings netscale types become fields
 * (the chart keys they render are in TYPED_VALUES), keys the chosen chart removed are named, and
 * the rest passes through as `spec.cilium.values`. Credentials in the values are never copied.
 */
import { parse, stringify } from 'yaml';
import { findCredentials, isCredentialKey } from '../core/credentials';
import { isPlainObject, PlainMap } from '../core/objects';
import { atLeast, CILIUM_FACTS, parseCiliumVersion, REMOVED_VALUES, supported } from '../components/cilium/facts';
import { Dump } from './dumps';
import type { Collector } from './import';

/** Value keys that hold a secret whatever their value looks like. */
const SECRET_KEY = /^(password|passwd|token|secret|key|private[_-]?key|client[_-]?secret|api[_-]?key)$/i;

export function importCilium(dump: Dump, versionOption: string | undefined, c: Collector): PlainMap | undefined {
  let values: unknown;
  try {
    // The table output of helm get values starts with this line; the yaml output does not.
    values = parse(dump.text.replace(/^USER-SUPPLIED VALUES:\s*\n/, '')) ?? {};
  } catch (e) {
    c.error(dump.source, `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
  if (!isPlainObject(values)) {
    c.error(dump.source, 'must be the Helm values map of the cilium release (helm get values cilium -o yaml)');
    return undefined;
  }
  const v = structuredClone(values);
  const take = (...path: string[]): unknown => {
    let node: unknown = v;
    for (const key of path.slice(0, -1)) node = isPlainObject(node) ? node[key] : undefined;
    if (!isPlainObject(node)) return undefined;
    const last = path[path.length - 1];
    const value = node[last];
    delete node[last];
    return value;
  };

  const image = isPlainObject(v.image) ? v.image : {};
  const fromImage = typeof image.tag === 'string' ? image.tag.replace(/^v/, '').replace(/@.*$/, '') : undefined;
  const versionText = versionOption ?? fromImage;
  const version = versionText !== undefined ? parseCiliumVersion(versionText) : undefined;
  if (!version || !supported(version)) {
    c.error(
      dump.source,
      versionText === undefined
        ? 'do not pin the Cilium image (image.tag): give the chart version with --cilium-version, e.g. 1.16.5'
        : `name Cilium ${versionText}, not an exact chart version of 1.13.0 or newer: give --cilium-version`,
    );
    return undefined;
  }

  const kpr = take('kubeProxyReplacement');
  const replaces = kpr === true || kpr === 'true' || kpr === 'strict';
  if (!replaces) {
    c.note(
      `${dump.source}: kubeProxyReplacement is ${kpr === undefined ? 'not set' : JSON.stringify(kpr)}, so Cilium runs beside kube-proxy; a ` +
        `netscale cilium section makes it replace kube-proxy: left out`,
    );
    return undefined;
  }
  const host = take('k8sServiceHost');
  const port = take('k8sServicePort');
  if (typeof host !== 'string' || host === '' || (typeof port !== 'number' && !(typeof port === 'string' && /^\d+$/.test(port)))) {
    c.error(dump.source, "replace kube-proxy but give no k8sServiceHost and k8sServicePort: the agents need the API server's own address");
    return undefined;
  }
  const cilium: PlainMap = { version: version.text, k8sServiceHost: host, k8sServicePort: Number(port) };

  const tunnel = take('tunnel');
  const routingMode = take('routingMode');
  const tunnelProtocol = take('tunnelProtocol');
  if (atLeast(version, CILIUM_FACTS.routingModeFrom)) {
    if (routingMode === 'native' || routingMode === 'tunnel') cilium.routingMode = routingMode;
    else if (tunnel === 'disabled') cilium.routingMode = 'native';
    if (tunnelProtocol === 'vxlan' || tunnelProtocol === 'geneve') cilium.tunnelProtocol = tunnelProtocol;
    else if ((tunnel === 'vxlan' || tunnel === 'geneve') && cilium.routingMode !== 'native') cilium.tunnelProtocol = tunnel;
    if (tunnel !== undefined)
      c.note(
        `${dump.source} tunnel: ${JSON.stringify(tunnel)} is the pre-1.14 key; the profile says it as ` +
          `routingMode${cilium.tunnelProtocol ? ' and tunnelProtocol' : ''}`,
      );
  } else {
    if (tunnel === 'disabled') cilium.routingMode = 'native';
    else if (tunnel === 'vxlan' || tunnel === 'geneve') cilium.tunnelProtocol = tunnel;
    if (routingMode !== undefined || tunnelProtocol !== undefined)
      c.note(`${dump.source} routingMode/tunnelProtocol: ignored by ${version.text}, which reads tunnel only`);
  }
  if (
    cilium.routingMode === 'native' &&
    cilium.tunnelProtocol !== undefined &&
    (isPlainObject(v.loadBalancer) ? v.loadBalancer.dsrDispatch : undefined) !== 'geneve'
  )
    delete cilium.tunnelProtocol;

  const cidr = take('ipv4NativeRoutingCIDR');
  if (typeof cidr === 'string') cilium.ipv4NativeRoutingCidr = cidr;
  const adr = take('autoDirectNodeRoutes');
  if (typeof adr === 'boolean') cilium.autoDirectNodeRoutes = adr;
  const loadBalancer: PlainMap = {};
  for (const key of ['mode', 'acceleration', 'dsrDispatch']) {
    const value = take('loadBalancer', key);
    if (typeof value === 'string') loadBalancer[key] = value;
  }
  if (Object.keys(loadBalancer).length > 0) cilium.loadBalancer = loadBalancer;
  const masquerade = take('bpf', 'masquerade');
  if (typeof masquerade === 'boolean') cilium.bpfMasquerade = masquerade;
  const hubble: PlainMap = {};
  const relay = take('hubble', 'relay', 'enabled');
  const ui = take('hubble', 'ui', 'enabled');
  if (typeof relay === 'boolean') hubble.relay = relay;
  if (typeof ui === 'boolean') hubble.ui = ui;
  if (Object.keys(hubble).length > 0) cilium.hubble = hubble;
  const replicas = take('operator', 'replicas');
  if (typeof replicas === 'number') cilium.operatorReplicas = replicas;

  for (const removed of REMOVED_VALUES) {
    if (version.major !== 1 || version.minor < removed.removedIn) continue;
    const value = take(...removed.path);
    if (value !== undefined)
      c.note(
        `${dump.source} ${removed.path.join('.')}: removed from the chart ` +
          `in 1.${removed.removedIn}${removed.instead ? ` (use ${removed.instead})` : ''}; left out`,
      );
  }
  const withheld = dropCredentials(v, []);
  for (const path of withheld) c.withheld.push(`${dump.source} ${path}: not copied; keep it in a Secret in the cluster and point the chart at it`);
  prune(v);
  if (Object.keys(v).length > 0) cilium.values = v;
  return cilium;
}

/** Remove every leaf that is or looks like a credential; returns their paths. */
function dropCredentials(node: PlainMap, path: readonly string[]): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    if (isPlainObject(value)) {
      out.push(...dropCredentials(value, here));
      continue;
    }
    // Lists are checked as the YAML they render to, as the guard on dist/ would see them.
    const text = stringify({ [key]: value }, { lineWidth: 0 });
    if (isCredentialKey(key) || (SECRET_KEY.test(key) && value !== '' && value !== null) || findCredentials(text).length > 0) {
      delete node[key];
      out.push(here.join('.'));
    }
  }
  return out;
}

/** Drop maps left empty by what was taken out. */
function prune(node: PlainMap): void {
  for (const [key, value] of Object.entries(node)) {
    if (!isPlainObject(value)) continue;
    prune(value);
    if (Object.keys(value).length === 0) delete node[key];
  }
}
