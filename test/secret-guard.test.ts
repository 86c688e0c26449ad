import { ciliumValuesYaml } from '../lib/components/cilium/values';
import * as fs from 'fs';
import * as path from 'path';
import { findCredentials, isSecretName, redactCredentials } from '../lib/core/credentials';
import { synthesizeFleet } from '../lib/output/fleet';
import { renderTree } from '../lib/output/render';
import { findSecrets, findSecretsInTree } from '../lib/output/secret-guard';
import { formatDiagnostic, ProfileError } from '../lib/profile/diagnostics';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, KUBEADM_CILIUM, load, loadSpec, profileYaml, Spec } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const temp = tempDirPerTest('secrets');

const ACCESS_KEY_ID = 'LTAI5tQ9xExampleKey12345';
const ACCESS_KEY_SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY';
const GITHUB_TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const CILIUM = KUBEADM_CILIUM;
const FULL_TERWAY = { vswitches: { 'cn-shanghai-f': ['vsw-uf6aaa'] }, securityGroups: ['sg-uf6xxx'], serviceCidr: '172.16.0.0/16' };

/** A public CA certificate (its key was thrown away): not a secret, as Helm values carry them. */
const PUBLIC_CA = `-----BEGIN CERTIFICATE-----
MIIBijCCATGgAwIBAgIUcQM5xToy20pU273JZX6oLD9JkP4wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbmV0c2NhbGUtdGVzdC1jYTAeFw0yNjExMzAxNDI3MTVaFw0z
NjExMjcxNDI3MTVaMBsxGTAXBgNVBAMMEG5ldHNjYWxlLXRlc3QtY2EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAATzZBTyG696jmnzCeIirRgiQVep5aJsBljkz9lj
JKNbR6hWfUPXu7hFiZx4zx+QLjGWU2lxDD5i4JGohzKzw0jQo1MwUTAdBgNVHQ4E
FgQUJgRYlbhz0ZxPmgaQ+VFTrMDgtoUwHwYDVR0jBBgwFoAUJgRYlbhz0ZxPmgaQ
+VFTrMDgtoUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiALc8eC
2Qm4pu/AFH8xqSgDYTtIfXsKmCJk7kjBHjUTRwIgf97zzcVS/SSz89BatIzfgLVG
Y0oA1BewZeElj47V1dY=
-----END CERTIFICATE-----
`;

/** The synth's error report for one profile, as the command prints it. */
function synthReport(spec: Spec): string {
  const clusters = path.join(temp.path, 'clusters');
  fs.mkdirSync(clusters, { recursive: true });
  fs.writeFileSync(path.join(clusters, 'leaky.yaml'), profileYaml(spec, 'leaky'));
  const out = path.join(temp.path, 'dist');
  try {
    synthesizeFleet({ clustersDir: clusters, outdir: out });
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    expect(fs.existsSync(out)).toBe(false);
    return (e as ProfileError).message;
  }
  throw new Error('the synth succeeded');
}

describe('the credential detector', () => {
  test.each([
    ['an Alibaba Cloud AccessKey ID', `id: ${ACCESS_KEY_ID}`, 'id: LTAI…(redacted)'],
    ['an AccessKey ID right after "_"', `tag: key_${ACCESS_KEY_ID}`, 'tag: key_LTAI…(redacted)'],
    ['an STS AccessKey ID', 'id: STS.NUgYrLnoC37mZZCNnAbez2QP', 'id: STS.…(redacted)'],
    ['an AWS access key ID', 'id: AKIAIOSFODNN7EXAMPLE', 'id: AKIA…(redacted)'],
    ['a GitHub token', `token-ish: ${GITHUB_TOKEN}`, 'token-ish: ghp_…(redacted)'],
    ['a JWT', 'x: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl', 'x: eyJ…(redacted)'],
    [
      'a private key',
      'k: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEow\n  -----END RSA PRIVATE KEY-----\nnext: 1',
      'k: |\n  -----BEGIN RSA PRIVATE KEY-----…(redacted)\nnext: 1',
    ],
    [
      'a password in a URL',
      'repoURL: https://deploy:s3cr3t@git.example.com/fleet.git',
      'repoURL: https://deploy:…(redacted)@git.example.com/fleet.git',
    ],
    ['a token as the user of a URL', `repoURL: https://${GITHUB_TOKEN}@github.com/x/y.git`, 'repoURL: https://ghp_…(redacted)@github.com/x/y.git'],
    [
      'a token in a query',
      'url: https://bucket.oss-cn-shanghai.aliyuncs.com/a?OSSAccessKeyId=abc&Expires=1&Signature=xyz',
      'url: https://bucket.oss-cn-shanghai.aliyuncs.com/a?OSSAccessKeyId=…(redacted)&Expires=1&Signature=…(redacted)',
    ],
    ['an ALIYUN_SK environment variable', `- name: ALIYUN_SK\n  value: ${ACCESS_KEY_SECRET}`, '- name: ALIYUN_SK\n  value: …(redacted)'],
    ['an env entry with the value first', '- value: "hunter2"\n  name: DB_PASSWORD', '- value: "…(redacted)"\n  name: DB_PASSWORD'],
    [
      'an env entry in JSON',
      '{"name":"ALIBABA_CLOUD_ACCESS_KEY_SECRET","value":"abc123"}',
      '{"name":"ALIBABA_CLOUD_ACCESS_KEY_SECRET","value":"…(redacted)"}',
    ],
    ['a pwd: key', 'pwd: hunter2', 'pwd: …(redacted)'],
    ['an access__key key', 'access__key: abc', 'access__key: …(redacted)'],
    [
      'an AccessKeySecret in JSON inside YAML',
      `eni_conf: '{"AccessKeySecret": "${ACCESS_KEY_SECRET}"}'`,
      'eni_conf: \'{"AccessKeySecret": "…(redacted)"}\'',
    ],
    ['an escaped JSON key', 'x: "{\\"access_key_secret\\": \\"abc\\"}"', 'x: "{\\"access_key_secret\\": \\"…(redacted)\\"}"'],
    ['a flag', 'args: --kube-api-token=abc123', 'args: --kube-api-token=…(redacted)'],
    ['a shell assignment', 'ALIYUN_SK=abc123 run', 'ALIYUN_SK=…(redacted) run'],
    ['a block scalar password', 'password: |\n  line one\n  line two\nnext: 1', 'password: |\n  …(redacted)\nnext: 1'],
    ['a base64-encoded AccessKey ID', `x: ${b64(`access_key_id: ${ACCESS_KEY_ID}`)}`, 'x: …(redacted)'],
    ['a base64-encoded private key', `tls.key: ${b64('-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n')}`, 'tls.key: …(redacted)'],
    ['a percent-encoded secret', 'x: https://h/p?q=access%5Fkey%3Dabcdef', 'x: …(redacted)'],
    ['a percent-encoded password in a URL', `x: ${encodeURIComponent('https://u:p4ss@h.example.com')}`, 'x: …(redacted)'],
  ])('finds and redacts %s', (_, text, redacted) => {
    expect(findCredentials(text)).not.toEqual([]);
    expect(redactCredentials(text)).toBe(redacted);
    // Messages are redacted more than once on their way out: nothing may change the second time.
    expect(redactCredentials(`error: ${redacted} (more text)`)).toBe(`error: ${redacted} (more text)`);
  });

  test.each([
    ['a public CA certificate', PUBLIC_CA],
    ['a base64 public CA certificate', `ca.crt: ${b64(PUBLIC_CA)}`],
    [
      'references to credentials kept elsewhere',
      'secretName: typha-certs\ncredential_path: /var/addon/token-config\ntokenFile: /var/run/token\nexistingSecret: ' +
        'hubble-tls\nsecretKeyRef:\n  name: x',
    ],
    ['flags and empty values', 'automountServiceAccountToken: true\napiKey: false\npassword: ""\ntoken: ${TOKEN}\nclientSecret: null'],
    ['prose that names credentials', '`access_key`/`access_secret` are refused: leave access_key/access_secret out'],
    ['a URL with a plain user', 'repoURL: ssh://git@github.com/x/y.git'],
    [
      'kebab-case names and digests',
      'name: netscale-restart-terway-eniip-eb1bbb9431\nhash: 3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea',
    ],
  ])('leaves %s alone', (_, text) => {
    expect(findCredentials(text).filter((m) => m.redact)).toEqual([]);
    expect(redactCredentials(text)).toBe(text);
  });

  test('knows credential names from references to them', () => {
    for (const name of [
      'password',
      'PASSWD',
      'pwd',
      'ALIYUN_SK',
      'ALICLOUD_ACCESS_KEY',
      'access__key',
      'AccessKeyId',
      'access-key-secret',
      'clientSecret',
      'api_key',
      'GITHUB_TOKEN',
      'privateKey',
    ])
      expect([name, isSecretName(name)]).toEqual([name, true]);
    for (const name of [
      'secretName',
      'tokenFile',
      'credential_path',
      'existingSecret',
      'configMapKey',
      'topologyKey',
      'key',
      'imagePullSecrets',
      'automountServiceAccountToken',
      'secretsNamespace',
      'mask',
    ])
      expect([name, isSecretName(name)]).toEqual([name, false]);
  });

  test('finds nothing in the committed dist/, the example profiles and the README', () => {
    expect(findSecrets(path.join(ROOT, 'dist'))).toEqual([]);
    expect(findSecrets(path.join(ROOT, 'clusters'))).toEqual([]);
    expect(findCredentials(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toEqual([]);
  });

  test('scans every file, Markdown reviews included, and says where', () => {
    const findings = findSecretsInTree(
      new Map([
        ['c/Secret.x.k8s.yaml', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n'],
        ['c/ConfigMap.y.k8s.yaml', 'data:\n  eni_conf: \'{"access_key": "x"}\'\n'],
        ['reviews/c.md', '# c\n\nBy hand: export pwd: hunter2\n'],
      ]),
    );
    expect(findings.map(({ file, line, what, shown }) => ({ file, line, what, shown }))).toEqual([
      { file: 'c/ConfigMap.y.k8s.yaml', line: 2, what: 'a credential (access_key)', shown: '…(redacted)' },
      { file: 'c/Secret.x.k8s.yaml', line: 2, what: 'a Secret object', shown: 'kind: Secret' },
      { file: 'reviews/c.md', line: 3, what: 'a credential (pwd)', shown: '…(redacted)' },
    ]);
  });
});

describe('secrets never reach dist/', () => {
  test.each([
    [
      'a private key in Cilium values',
      { tls: { ca: { key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----' } } },
      'spec.cilium.values.tls.ca.key',
      'a private key (-----BEGIN PRIVATE KEY-----…(redacted))',
    ],
    [
      'a bearer token in Cilium values',
      {
        hubble: {
          relay: {
            extraEnv: [{ name: 'AUTH', value: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl' }],
          },
        },
      },
      'spec.cilium.values.hubble.relay.extraEnv[0].value',
      'a bearer token (JWT) (eyJ…(redacted))',
    ],
    [
      'an AccessKey ID in Cilium values',
      { extraConfig: { 'cloud-key': ACCESS_KEY_ID } },
      'spec.cilium.values.extraConfig["cloud-key"]',
      'an Alibaba Cloud AccessKey ID (LTAI…(redacted))',
    ],
    [
      'a base64 PEM key in Cilium values',
      { tls: { ca: { key: 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND' } } },
      'spec.cilium.values.tls.ca.key',
      'a private key, base64-encoded (…(redacted))',
    ],
    [
      'a password in an environment variable',
      { hubble: { relay: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } } },
      'spec.cilium.values.hubble.relay.extraEnv[0].value',
      'a credential (DB_PASSWORD) (…(redacted))',
    ],
    [
      'an ALIYUN_SK environment variable',
      { hubble: { relay: { extraEnv: [{ name: 'ALIYUN_SK', value: ACCESS_KEY_SECRET }] } } },
      'spec.cilium.values.hubble.relay.extraEnv[0].value',
      'a credential (ALIYUN_SK) (…(redacted))',
    ],
    [
      'a token value in Cilium values',
      { clustermesh: { apiserver: { token: 'c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1' } } },
      'spec.cilium.values.clustermesh.apiserver.token',
      'a credential (token) (…(redacted))',
    ],
  ])('fails on %s at its field, the value redacted, and the last guard would catch it too', (_, values, field, what) => {
    const report = synthReport({ ...CILIUM, cilium: { ...CILIUM.cilium, values } });
    // The Cilium rules refuse it at the field before anything renders.
    expect(report).toMatch(
      new RegExp(`leaky\\.yaml:\\d+:\\d+ ${field.replace(/[.[\]"]/g, '\\$&')}: holds a (private key|credential), which must never be committed`),
    );
    expect(report).not.toMatch(/hunter2|MIIEvQ|c2VjcmV0LXRva2Vu|LTAI5tQ9x|wJalrXUtnFEMI|eyJzdWIi/);
    // Had it slipped past them, the guard over the rendered values file names it, redacted.
    const found = findSecretsInTree(new Map([['values/leaky.cilium-values.yaml', ciliumValuesYaml(values)]]));
    expect(found.map((f) => `${f.what} (${f.shown})`)).toContain(what);
  });

  test('a public CA certificate in Cilium values passes, as text and base64', () => {
    const clusters = path.join(temp.path, 'clusters');
    fs.mkdirSync(clusters);
    fs.writeFileSync(
      path.join(clusters, 'ca.yaml'),
      profileYaml(
        {
          ...CILIUM,
          cilium: {
            ...CILIUM.cilium,
            values: { tls: { ca: { cert: b64(PUBLIC_CA) } }, hubble: { tls: { server: { extraDnsNames: ['hubble.example.com'] } } } },
          },
        },
        'ca',
      ),
    );
    synthesizeFleet({ clustersDir: clusters, outdir: path.join(temp.path, 'dist') });
    expect(snapshot(path.join(temp.path, 'dist'))[path.join('values', 'ca.cilium-values.yaml')]).toContain(b64(PUBLIC_CA));
  });

  test('a repoURL with credentials fails on both Applications that would carry it, naming spec.argocd.repoURL', () => {
    const report = synthReport({
      ...ACK_TERWAY,
      networkPolicy: 'relay',
      argocd: { repoURL: `https://deploy:${ACCESS_KEY_SECRET}@git.example.com/fleet.git` },
    });
    expect(
      report.split('\n').filter((l) => l.includes('spec.argocd.repoURL: would write a password in a URL (…(redacted)) into dist/argocd/')),
    ).toHaveLength(2);
    expect(report).not.toContain(ACCESS_KEY_SECRET);
  });

  test('an eniConf key such as access__key or ALIYUN_SK is refused as a credential, its value never shown', () => {
    for (const key of ['access__key', 'access_key_id']) {
      const { errors } = loadSpec({ ...ACK_TERWAY, terway: { ...FULL_TERWAY, eniConf: { [key]: ACCESS_KEY_SECRET } } });
      expect(errors).toEqual([expect.stringMatching(new RegExp(`spec\\.terway\\.eniConf\\.${key}: holds a cloud credential`))]);
      expect(errors.join('\n')).not.toContain(ACCESS_KEY_SECRET);
    }
  });

  test('reviews are scanned: a credential a review would show fails the synth', () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay' });
    // The review quotes each decision; one that carried a credential must not pass.
    const leaky = {
      ...loaded!,
      cluster: {
        ...loaded!.cluster,
        decisions: [...loaded!.cluster.decisions, { name: 'note', value: `ALIYUN_SK=${ACCESS_KEY_SECRET}`, rule: 'from the profile' }],
      },
    };
    let thrown: unknown;
    try {
      renderTree([leaky]);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as ProfileError).diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringContaining('would write a credential (ALIYUN_SK) (…(redacted)) into dist/reviews/test-cluster.md:'),
    ]);
  });
});

describe('error messages never echo a credential, wherever it sits', () => {
  test.each([
    [
      'spec.region',
      { ...ACK_TERWAY, region: ACCESS_KEY_ID },
      /spec\.region: must be an Alibaba Cloud region id such as cn-shanghai \(got "LTAI…\(redacted\)"\)/,
    ],
    [
      'spec.terway.credentialPath',
      { ...ACK_TERWAY, terway: { credentialPath: ACCESS_KEY_ID } },
      /spec\.terway\.credentialPath: .*\(got "LTAI…\(redacted\)"\)/,
    ],
    ['an unknown key holding an AccessKey ID', { ...ACK_TERWAY, [ACCESS_KEY_ID]: 'x' }, /spec\.LTAI…\(redacted\): unknown field/],
    [
      'an unknown ALIYUN_SK key',
      { ...ACK_TERWAY, ALIYUN_SK: ACCESS_KEY_SECRET },
      /spec\.ALIYUN_SK: names a credential, which must never be committed/,
    ],
    [
      'a JSON syntax error inside baseEniConf',
      { ...ACK_TERWAY, terway: { ...FULL_TERWAY, baseEniConf: `{"access_key_secret": ${ACCESS_KEY_SECRET}}` } },
      /spec\.terway\.baseEniConf: is not JSON: expected a value \(a string in double quotes, .*\) at line 1, column 23 of the value/,
    ],
    [
      'a password in the repoURL of a second profile that disagrees',
      undefined,
      /spec\.argocd\.repoURL: is "https:\/\/deploy:…\(redacted\)@git\.example\.com\/fleet\.git" but .* has "https:\/\/git\.example\.com\/fleet\.git"/,
    ],
    [
      'a whole section of the wrong type',
      { ...ACK_TERWAY, terway: [{ password: 'hunter2' }] },
      /spec\.terway: must be a mapping \(got \[\{"password":"…\(redacted\)"\}\]\)/,
    ],
    [
      'a password field in the Argo CD section',
      { ...ACK_TERWAY, argocd: { repoURL: 'x', password: 'hunter2' } },
      /spec\.argocd\.password: names a credential, which must never be committed: dist\/ is in git/,
    ],
  ])('%s', (_, spec, message) => {
    let report: string;
    if (spec) report = load(profileYaml(spec)).errors.join('\n');
    else {
      const clusters = path.join(temp.path, 'clusters');
      fs.mkdirSync(clusters);
      const argocd = (repoURL: string) => ({ ...ACK_TERWAY, networkPolicy: 'relay', argocd: { repoURL } });
      fs.writeFileSync(path.join(clusters, 'a.yaml'), profileYaml(argocd('https://git.example.com/fleet.git'), 'a'));
      fs.writeFileSync(path.join(clusters, 'b.yaml'), profileYaml(argocd(`https://deploy:${ACCESS_KEY_SECRET}@git.example.com/fleet.git`), 'b'));
      try {
        synthesizeFleet({ clustersDir: clusters, outdir: path.join(temp.path, 'dist') });
        report = '';
      } catch (e) {
        report = (e as Error).message;
      }
    }
    expect(report).toMatch(message);
    expect(report).not.toMatch(/LTAI5tQ9x|wJalrXUtnFEMI|hunter2/);
  });
});
