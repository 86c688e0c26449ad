/**
 * The last check before anything reaches dist/: rendered YAML must carry no Secret and nothing
 * that looks like a credential, whatever a pass-through field (Cilium values, eni_conf keys, a
 * kube-proxy baseConfig) let in. dist/ is committed to git.
 */
import * as fs from 'fs';
import * as path from 'path';
import { containsPrivateKey } from '../core/credentials';

interface SecretPattern {
  readonly what: string;
  readonly pattern: RegExp | { test(text: string): boolean };
}

const PATTERNS: readonly SecretPattern[] = [
  { what: 'a Secret object', pattern: /^kind: Secret$/m },
  { what: 'an access_key or access_secret', pattern: /access[_-]?(key|secret)/i },
  { what: 'an Alibaba Cloud AccessKey ID', pattern: /\bLTAI[A-Za-z0-9]{12,30}\b/ },
  { what: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  // Helm values carry certificates and keys base64-encoded; a certificate is public, a key is not.
  { what: 'a private key', pattern: { test: containsPrivateKey } },
  { what: 'a secret in an environment variable', pattern: /name:\s*["']?[A-Za-z0-9_]*(PASS|PASSWORD|TOKEN|SECRET|APIKEY|API_KEY)[A-Za-z0-9_]*["']?\s*\n\s*value:\s*["']?\S/i },
  { what: 'a bearer token (JWT)', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/ },
  { what: 'a token or password value', pattern: /^\s*["']?[A-Za-z_.-]*(token|password|passwd)["']?\s*:\s*["']?[A-Za-z0-9+/=_.-]{16,}["']?\s*$/im },
];

export interface SecretFinding {
  /** File relative to the scanned folder. */
  readonly file: string;
  readonly what: string;
}

/** Every YAML file of a rendered tree (relative path to text) that would put a credential into git. */
export function findSecretsInTree(tree: ReadonlyMap<string, string>): SecretFinding[] {
  const out: SecretFinding[] = [];
  for (const [file, text] of tree) {
    if (!/\.ya?ml$/.test(file)) continue;
    for (const { what, pattern } of PATTERNS) if (pattern.test(text)) out.push({ file, what });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** The same check over the files below `dir`, e.g. a committed dist/. */
export function findSecrets(dir: string): SecretFinding[] {
  const tree = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else tree.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return findSecretsInTree(tree);
}
