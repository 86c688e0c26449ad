/** Credentials in Cilium chart values: refused at their field before anything is rendered; certificates pass. */
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeFleet } from '../lib/output/fleet';
import { findSecretsInTree } from '../lib/output/secret-guard';
import { ProfileError } from '../lib/profile/diagnostics';
import { tempDirPerTest } from './support/files';
import { KUBEADM_CILIUM, profileYaml } from './support/profiles';

const CILIUM = KUBEADM_CILIUM;

const temp = tempDirPerTest('cilium-secrets');

function fleet(name: string, profiles: Record<string, Record<string, unknown>>): string {
  const dir = path.join(temp.path, name);
  fs.mkdirSync(dir);
  for (const [cluster, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(dir, `${cluster}.yaml`), profileYaml(spec, cluster));
  return dir;
}

// A base64 PEM certificate (public) and a base64 PEM private key, as Helm values carry them.
const CERT_B64 = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUExample\n-----END CERTIFICATE-----\n').toString('base64');
const KEY_B64 = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIExampleExampleExample\n-----END EC PRIVATE KEY-----\n').toString('base64');
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';

describe('credentials in Cilium values', () => {
  test.each([
    [
      'a private key in Cilium values',
      { tls: { ca: { key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----' } } },
      'spec.cilium.values.tls.ca.key',
      'holds a private key',
    ],
    ['a base64 PEM key in Cilium values', { tls: { ca: { cert: CERT_B64, key: KEY_B64 } } }, 'spec.cilium.values.tls.ca.key', 'holds a private key'],
    [
      'the key of a TLS pair',
      { hubble: { relay: { tls: { client: { cert: CERT_B64, key: 'c2VjcmV0' } } } } },
      'spec.cilium.values.hubble.relay.tls.client.key',
      'holds a private key',
    ],
    [
      'a bearer token in Cilium values',
      { hubble: { relay: { extraEnv: [{ name: 'AUTH', value: JWT }] } } },
      'spec.cilium.values.hubble.relay.extraEnv[0].value',
      'holds a credential',
    ],
    [
      'an access key id in Cilium values',
      { extraConfig: { 'cloud-key': 'LTAI5tQ9xExampleKey12345' } },
      'spec.cilium.values.extraConfig["cloud-key"]',
      'holds a credential',
    ],
    [
      'a password in an environment variable',
      { hubble: { relay: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } } },
      'spec.cilium.values.hubble.relay.extraEnv[0].value',
      'holds a credential',
    ],
    ['an etcd password', { etcd: { password: 'hunter2hunter2' } }, 'spec.cilium.values.etcd.password', 'holds a credential'],
    [
      'a token value in Cilium values',
      { clustermesh: { apiserver: { token: 'c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1' } } },
      'spec.cilium.values.clustermesh.apiserver.token',
      'holds a credential',
    ],
    ['a cloud client secret', { azure: { clientSecret: 'not-for-git' } }, 'spec.cilium.values.azure.clientSecret', 'holds a credential'],
  ])('fails the synth on %s at its field, never echoing it, and writes nothing', (_, values, field, what) => {
    const clusters = fleet('c', { leaky: { ...CILIUM, cilium: { ...CILIUM.cilium, values } } });
    const out = path.join(temp.path, 'dist');
    let thrown: unknown;
    try {
      synthesizeFleet({ clustersDir: clusters, outdir: out });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProfileError);
    const diagnostics = (thrown as ProfileError).diagnostics.filter((d) => d.severity === 'error');
    expect(diagnostics.map((d) => [path.basename(d.file), d.path, d.message.split(',')[0]])).toEqual([['leaky.yaml', field, `${what}`]]);
    const report = (thrown as ProfileError).message;
    for (const secret of ['MIIEvQ', KEY_B64, 'c2VjcmV0', JWT, 'LTAI5tQ9x', 'hunter2', 'not-for-git']) expect(report).not.toContain(secret);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a public CA certificate is not a secret: it passes the profile checks and reaches the values file', () => {
    const clusters = fleet('c', { ca: { ...CILIUM, cilium: { ...CILIUM.cilium, values: { tls: { ca: { cert: CERT_B64 } } } } } });
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    expect(fs.readFileSync(path.join(out, 'values', 'ca.cilium-values.yaml'), 'utf8')).toContain(CERT_B64);
  });

  test('the last check before the write tells a base64 private key from a base64 certificate', () => {
    expect(findSecretsInTree(new Map([['values/a.yaml', `tls:\n  ca:\n    cert: ${CERT_B64}\n`]]))).toEqual([]);
    expect(findSecretsInTree(new Map([['values/a.yaml', `tls:\n  ca:\n    key: ${KEY_B64}\n`]])).map((f) => [f.file, f.line])).toEqual([
      ['values/a.yaml', 3],
    ]);
  });
});
