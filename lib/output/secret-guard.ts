/**
 * The last check before anything reaches dist/: no rendered byte, YAML or review, may carry a
 * Secret object or anything credential-shaped, whatever a pass-through field (Cilium values,
 * eni_conf keys, a kube-proxy baseConfig, a repoURL) let in. dist/ is committed to git.
 * What the detector knows is in lib/core/credentials.ts and the README's "Safety" section.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CredentialMatch, findCredentials } from '../core/credentials';

export interface SecretFinding {
  /** File relative to the scanned folder, with `/`. */
  readonly file: string;
  readonly line: number;
  readonly what: string;
  /** The credential as it may be shown: `LTAI…(redacted)`. */
  readonly shown: string;
  /** Where the credential sits in the file's text, to trace it back to a profile field. */
  readonly index: number;
  readonly length: number;
}

/** Every credential in a rendered tree (relative path to text), sorted by file and line. */
export function findSecretsInTree(tree: ReadonlyMap<string, string>): SecretFinding[] {
  const out: SecretFinding[] = [];
  for (const [file, text] of tree) {
    for (const m of credentialsIn(text)) {
      out.push({ file, line: text.slice(0, m.index).split('\n').length, what: m.what, shown: m.shown, index: m.index, length: m.length });
    }
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/**
 * `findCredentials`, remembered by text: a fleet repeats most of its objects (the same YAML for
 * Typha's Service or a CRD in every cluster), and scanning every rendered byte was a tenth of a
 * large fleet's synth. Bounded by the text it holds, so a fleet of distinct files cannot grow it.
 */
function credentialsIn(text: string): readonly CredentialMatch[] {
  let found = scanned.get(text);
  if (found === undefined) {
    found = findCredentials(text);
    if (scannedChars + text.length > SCAN_MEMO_CHARS) {
      scanned.clear();
      scannedChars = 0;
    }
    scanned.set(text, found);
    scannedChars += text.length;
  }
  return found;
}

const scanned = new Map<string, readonly CredentialMatch[]>();
let scannedChars = 0;
const SCAN_MEMO_CHARS = 1024 * 1024;

/** The same check over the files below `dir`, e.g. a committed dist/. Links are not followed. */
export function findSecrets(dir: string): SecretFinding[] {
  const tree = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) tree.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return findSecretsInTree(tree);
}
