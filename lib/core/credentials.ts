/**
 * Credentials must never reach git or a log. One detector knows the shapes netscale can meet (the
 * clouds and tools it touches), in plain text and in base64 or percent-encoded form; the output
 * guard runs it over every rendered byte and every message is redacted with it.
 */

/** What replaces a secret wherever it would be shown: `LTAI…(redacted)`. */
export const REDACTED = '…(redacted)';

export const CREDENTIAL_MESSAGE =
  'holds a cloud credential, which must never be committed: leave access_key/access_secret out and let Terway read its credentials from ' +
  'credential_path (default /var/addon/token-config), the RAM role ACK mounts on every node';

/** A credential-named field outside Terway's section: nothing netscale renders takes one. */
export const SECRET_FIELD_MESSAGE =
  'names a credential, which must never be committed: dist/ is in git, so credentials stay in the cluster (a Secret created there), never in ' +
  'a profile';

/** Marks a schema issue as a refused credential, so the report never echoes the value. */
export const CREDENTIAL_ISSUE = { credential: true } as const;

/** A credential found in a text. */
export interface CredentialMatch {
  /** What it is, e.g. "an Alibaba Cloud AccessKey ID". */
  readonly what: string;
  /** Offset and length of the secret in the scanned text (the whole encoded run for decoded forms). */
  readonly index: number;
  readonly length: number;
  /** How it may be shown: a public prefix at most, then REDACTED. */
  readonly shown: string;
  /** False for a finding that is no value to hide (a `kind: Secret` line). */
  readonly redact: boolean;
}

interface Shape {
  readonly what: string;
  /** Text every match contains: the pattern runs only where it occurs. */
  readonly trigger: RegExp;
  readonly pattern: RegExp;
  /** Characters of the match that are public (a fixed prefix) and may be shown. */
  readonly keep: number | ((match: string) => string);
}

// Sources of the shapes: Alibaba Cloud AccessKey IDs start with LTAI and STS ones with "STS."
// (https://www.alibabacloud.com/help/en/ram/user-guide/create-an-accesskey-pair); AWS key IDs with
// AKIA/ASIA (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html); GitHub
// tokens with ghp_/gho_/ghu_/ghs_/ghr_ and github_pat_
// (https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats);
// GitLab personal access tokens with glpat- (https://docs.gitlab.com/ee/security/tokens/).
// A lookbehind instead of \b, so an ID right after "_" (key_LTAI...) is found too.
/** A PEM armour line of a private key: `-----BEGIN RSA PRIVATE KEY-----`, `-----END OPENSSH PRIVATE KEY-----`, ... */
const PRIVATE_KEY_LINE = (edge: 'BEGIN' | 'END') => `-----${edge} (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`;

const SHAPES: readonly Shape[] = [
  { what: 'an Alibaba Cloud AccessKey ID', trigger: /LTAI/, pattern: /(?<![A-Za-z0-9])LTAI[A-Za-z0-9]{12,30}(?![A-Za-z0-9])/g, keep: 4 },
  { what: 'an Alibaba Cloud STS AccessKey ID', trigger: /STS\./, pattern: /(?<![A-Za-z0-9])STS\.[A-Za-z0-9]{16,}/g, keep: 4 },
  { what: 'an AWS access key ID', trigger: /AKIA|ASIA/, pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, keep: 4 },
  {
    what: 'a GitHub token',
    trigger: /gh[pousr]_|github_pat_/,
    pattern: /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
    keep: 4,
  },
  { what: 'a GitLab token', trigger: /glpat-/, pattern: /(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,}/g, keep: 6 },
  { what: 'a Slack token', trigger: /xox[abposr]-/, pattern: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g, keep: 5 },
  { what: 'a bearer token (JWT)', trigger: /eyJ/, pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, keep: 3 },
  {
    what: 'a private key',
    trigger: /-----BEGIN /,
    // To its END line, or over the key's body when the block is cut.
    pattern: new RegExp(`${PRIVATE_KEY_LINE('BEGIN')}(?:[\\s\\S]*?${PRIVATE_KEY_LINE('END')}|(?:[A-Za-z0-9+/=:,\\s-]|\\\\[nr])+)`, 'g'),
    keep: (m) => m.slice(0, m.indexOf('-----', 5) + 5),
  },
];

/** Query parameters that carry a credential even though their name says little. */
const URL_SECRET_PARAMS = new Set(['key', 'sig', 'signature', 'x-amz-signature', 'x-amz-security-token', 'securitytoken', 'code']);

const SECRET_LAST_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'token',
  'sk',
  'ak',
  'credential',
  'credentials',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'accesskeyid',
  'accesskeysecret',
]);
/** "<word> key" is a credential for these words (api key, access key, ...). */
const KEY_QUALIFIERS = new Set(['api', 'access', 'secret', 'private', 'signing', 'encryption', 'master', 'account', 'client', 'auth']);
/** A name with one of these words refers to a credential kept elsewhere (secretName, tokenFile, existingSecret). */
const REFERENCE_WORDS = new Set([
  'automount',
  'name',
  'names',
  'ref',
  'file',
  'path',
  'dir',
  'mount',
  'volume',
  'type',
  'mode',
  'ttl',
  'length',
  'existing',
  'use',
  'enable',
  'enabled',
  'source',
  'template',
  'format',
  'field',
  'method',
  'provider',
  'namespace',
  'url',
  'endpoint',
  'policy',
  'hash',
  'expiration',
  'expiry',
]);

/**
 * The words of a key: `ALIYUN_SK` -> aliyun sk, `accessKeyID` -> access key id, `access__key` ->
 * access key.
 */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/**
 * Whether a key (YAML or JSON key, environment variable, flag) names a credential itself:
 * `password`, `pwd`, `ALIYUN_SK`, `access__key`, `AccessKeySecret`, `clientSecret`; not a reference
 * to one (`secretName`, `tokenFile`, `credential_path`, `existingSecret`).
 */
export function isSecretName(key: string): boolean {
  const words = keyWords(key);
  if (words.length === 0 || words.some((w) => REFERENCE_WORDS.has(w))) return false;
  const last = words[words.length - 1];
  const before = words[words.length - 2];
  if (SECRET_LAST_WORDS.has(last)) return true;
  if (last === 'key' && before !== undefined && KEY_QUALIFIERS.has(before)) return true;
  if (last === 'id' && before === 'key' && words[words.length - 3] === 'access') return true;
  return false;
}

/** A profile key that holds a cloud credential: refused wherever it appears. */
export function isCredentialKey(key: string): boolean {
  return isSecretName(key);
}

/** Every credential in `text`, in order; overlapping findings are merged into the first. */
export function findCredentials(text: string): CredentialMatch[] {
  return merge(scan(text, 0));
}

/** `text` with every credential replaced by its shown form, so it may be printed or logged. */
export function redactCredentials(text: string): string {
  const matches = findCredentials(text).filter((m) => m.redact);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += text.slice(at, m.index) + m.shown;
    at = m.index + m.length;
  }
  return out + text.slice(at);
}

/** How deep decoded text is decoded again (base64 inside base64). */
const MAX_DECODE_DEPTH = 2;

function scan(text: string, depth: number): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  for (const shape of SHAPES) {
    if (!shape.trigger.test(text)) continue;
    for (const m of text.matchAll(shape.pattern)) {
      const kept = typeof shape.keep === 'number' ? m[0].slice(0, shape.keep) : shape.keep(m[0]);
      out.push({ what: shape.what, index: m.index!, length: m[0].length, shown: `${kept}${REDACTED}`, redact: true });
    }
  }
  out.push(...urlCredentials(text), ...urlParams(text), ...assignments(text), ...environmentPairs(text), ...secretObjects(text));
  if (depth < MAX_DECODE_DEPTH) out.push(...decoded(text, depth));
  return out;
}

function merge(matches: CredentialMatch[]): CredentialMatch[] {
  const sorted = [...matches].sort((a, b) => a.index - b.index || b.length - a.length);
  const out: CredentialMatch[] = [];
  for (const m of sorted) {
    const last = out[out.length - 1];
    if (last && m.index < last.index + last.length) {
      // Overlaps: widen the first finding so redaction covers both.
      const end = Math.max(last.index + last.length, m.index + m.length);
      out[out.length - 1] = { ...last, length: end - last.index, redact: last.redact || m.redact };
      continue;
    }
    out.push(m);
  }
  return out;
}

/** `scheme://user:password@host` and `scheme://token@host` (a user name no person has). */
function urlCredentials(text: string): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  if (!text.includes('@')) return out;
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    if (!/[A-Za-z0-9+.-]/.test(text[at - 1] ?? '')) continue;
    const start = at + 3;
    let end = start;
    while (end < text.length && !/[\s/?#@'"`<>]/.test(text[end])) end++;
    if (text[end] !== '@' || end === start) continue;
    const userinfo = text.slice(start, end);
    const colon = userinfo.indexOf(':');
    if (colon !== -1 && colon < userinfo.length - 1) {
      out.push({ what: 'a password in a URL', index: start + colon + 1, length: userinfo.length - colon - 1, shown: REDACTED, redact: true });
    } else if (colon === -1 && /[0-9]/.test(userinfo) && userinfo.length >= 16) {
      out.push({ what: 'a token in a URL', index: start, length: userinfo.length, shown: REDACTED, redact: true });
    }
  }
  return out;
}

function urlParams(text: string): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  if (!text.includes('=')) return out;
  for (const m of text.matchAll(/[?&]([A-Za-z0-9_.-]+)=([^&\s#'"`<>]+)/g)) {
    const name = m[1];
    if (!isSecretName(name) && !URL_SECRET_PARAMS.has(name.toLowerCase())) continue;
    const v = m[2];
    out.push({ what: 'a token in a URL', index: m.index! + m[0].length - v.length, length: v.length, shown: REDACTED, redact: true });
  }
  return out;
}

/** `name: value`, `"name": "value"`, `NAME=value`, `--name=value` where the name is a credential's. */
function assignments(text: string): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  let scannedTo = -1;
  // Find the words credential names contain, then the whole name around each: far fewer hits than keys.
  for (const hit of text.matchAll(/pass|pwd|secret|token|credential|key|sk|ak/gi)) {
    let start = hit.index!;
    if (start < scannedTo) continue;
    while (start > 0 && NAME_CHAR.test(text[start - 1])) start--;
    let end = hit.index! + hit[0].length;
    while (end < text.length && NAME_CHAR.test(text[end])) end++;
    scannedTo = end;
    const name = text.slice(start, end).replace(/^[.-]+/, '');
    if (!/^[A-Za-z_]/.test(name)) continue;
    let after = end;
    if (text[after] === '\\') after++;
    if (text[after] === '"' || text[after] === "'" || text[after] === '`') after++;
    while (text[after] === ' ' || text[after] === '\t') after++;
    const separator = text[after];
    // Most hits are words in prose or values ("task", "keys"): the cheap test first.
    if ((separator !== ':' && separator !== '=') || !isSecretName(name)) continue;
    after++;
    // YAML needs a blank or the line end after ":"; "a:b" is a plain scalar.
    if (separator === ':' && after < text.length && !/[\s"'\\]/.test(text[after])) continue;
    let keyStart = start;
    if (text[keyStart - 1] === '"' || text[keyStart - 1] === "'" || text[keyStart - 1] === '`') keyStart--;
    if (text[keyStart - 1] === '\\') keyStart--;
    const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
    // A YAML key at the start of its line takes the rest of the line; NAME=value stops at a blank.
    const blockKey = separator === ':' && /^[ \t]*(?:- +)?$/.test(text.slice(lineStart, keyStart));
    const value = valueAt(text, after, blockKey);
    if (value) out.push({ what: `a credential (${name})`, index: value.index, length: value.length, shown: REDACTED, redact: true });
  }
  return out;
}

const NAME_CHAR = /[A-Za-z0-9_.-]/;

/** Kubernetes env entries: `name: ALIYUN_SK` next to `value: ...`, in YAML or JSON. */
function environmentPairs(text: string): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  if (!text.includes('name')) return out;
  for (const m of text.matchAll(/^([ \t]*(?:- +)?)(["']?)name\2:[ \t]*(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\3[ \t]*$/gm)) {
    if (!isSecretName(m[4])) continue;
    const column = m[1].length;
    const lineStart = m.index!;
    // The sibling `value:` is among the few lines around, at the same column.
    const windowStart = nthLineBack(text, lineStart, 4);
    const windowEnd = nthLineForward(text, lineStart, 5);
    const window = text.slice(windowStart, windowEnd);
    for (const v of window.matchAll(/^([ \t]*(?:- +)?)(["']?)value\2:/gm)) {
      if (v[1].length !== column) continue;
      const value = valueAt(text, windowStart + v.index! + v[0].length, true);
      if (value) out.push({ what: `a credential (${m[4]})`, index: value.index, length: value.length, shown: REDACTED, redact: true });
    }
  }
  const json =
    /"name"\s*:\s*"([A-Za-z_][A-Za-z0-9_.-]*)"\s*,\s*"value"\s*:|"value"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"name"\s*:\s*"([A-Za-z_][A-Za-z0-9_.-]*)"/g;
  for (const m of text.matchAll(json)) {
    if (m[1] !== undefined && isSecretName(m[1])) {
      const value = valueAt(text, m.index! + m[0].length, false);
      if (value) out.push({ what: `a credential (${m[1]})`, index: value.index, length: value.length, shown: REDACTED, redact: true });
    } else if (m[3] !== undefined && isSecretName(m[3])) {
      const inner = m[2].slice(1, -1);
      if (!isPlaceholder(inner))
        out.push({ what: `a credential (${m[3]})`, index: m.index! + m[0].indexOf(m[2]) + 1, length: inner.length, shown: REDACTED, redact: true });
    }
  }
  return out;
}

function secretObjects(text: string): CredentialMatch[] {
  if (!text.includes('Secret')) return [];
  return [...text.matchAll(/^kind:[ \t]*["']?Secret["']?[ \t]*$/gm)].map((m) => ({
    what: 'a Secret object',
    index: m.index!,
    length: m[0].length,
    shown: m[0],
    redact: false,
  }));
}

/** Base64 and percent-encoded runs, decoded and scanned again. */
function decoded(text: string, depth: number): CredentialMatch[] {
  const out: CredentialMatch[] = [];
  for (const run of base64Runs(text)) {
    const value = text.slice(run.index, run.index + run.length);
    // Base64 of text mixes cases; kebab-case names and hex digests do not.
    if (!/[A-Z]/.test(value) || !/[a-z]/.test(value)) continue;
    const plain = decodedText(value);
    if (plain === undefined) continue;
    const inner = merge(scan(plain, depth + 1)).filter((f) => f.redact);
    if (inner.length > 0) out.push({ what: `${inner[0].what}, base64-encoded`, index: run.index, length: run.length, shown: REDACTED, redact: true });
  }
  let scannedTo = -1;
  for (let at = text.indexOf('%'); at !== -1; at = text.indexOf('%', at + 1)) {
    if (at < scannedTo || !/^%[0-9A-Fa-f]{2}/.test(text.slice(at, at + 3))) continue;
    let start = at;
    while (start > 0 && !/[\s'"`<>]/.test(text[start - 1])) start--;
    let end = at;
    while (end < text.length && !/[\s'"`<>]/.test(text[end])) end++;
    scannedTo = end;
    const run = text.slice(start, end);
    const plain = run.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    const inner = merge(scan(plain, depth + 1)).filter((f) => f.redact);
    if (inner.length > 0) out.push({ what: `${inner[0].what}, percent-encoded`, index: start, length: run.length, shown: REDACTED, redact: true });
  }
  return out;
}

const BASE64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') BASE64_CHAR[c.charCodeAt(0)] = 1;
const MIN_BASE64_RUN = 20;

/** Runs of base64 (standard or URL-safe) characters long enough to hide a credential, in one pass. */
function base64Runs(text: string): Array<{ index: number; length: number }> {
  const out: Array<{ index: number; length: number }> = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c < 128 && BASE64_CHAR[c] === 1) {
      if (start === -1) start = i;
      continue;
    }
    if (start !== -1) {
      let end = i;
      while (end < text.length && end - i < 2 && text[end] === '=') end++;
      if (i - start >= MIN_BASE64_RUN) out.push({ index: start, length: end - start });
      start = -1;
    }
  }
  return out;
}

/**
 * `base64Text`, remembered: rendered files repeat the same long mixed-case words (kinds such as
 * `CustomResourceDefinition`, sync options), each decoded only to find it is no text. Bounded.
 */
function decodedText(run: string): string | undefined {
  if (decodedRuns.has(run)) return decodedRuns.get(run);
  const plain = base64Text(run);
  if (decodedRuns.size >= DECODED_RUNS_LIMIT) decodedRuns.clear();
  decodedRuns.set(run, plain);
  return plain;
}

const decodedRuns = new Map<string, string | undefined>();
const DECODED_RUNS_LIMIT = 4096;

/** The text a base64 run encodes, if it is text at all. */
function base64Text(run: string): string | undefined {
  const bytes = Buffer.from(run, 'base64');
  if (bytes.length < 12) return undefined;
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  return printable >= bytes.length * 0.95 ? bytes.toString('latin1') : undefined;
}

/**
 * The value after a key and its separator: quoted up to its closing quote, a YAML block scalar's
 * lines, or a plain value (to the line end for a block key, else to the next delimiter).
 */
function valueAt(text: string, from: number, blockKey: boolean): { index: number; length: number } | undefined {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const escapedQuote = text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === "'");
  const quote = escapedQuote ? text[i + 1] : text[i] === '"' || text[i] === "'" ? text[i] : undefined;
  if (quote) {
    const start = i + (escapedQuote ? 2 : 1);
    let j = start;
    while (j < text.length && text[j] !== '\n') {
      if (escapedQuote ? text[j] === '\\' && text[j + 1] === quote : text[j] === quote && text[j - 1] !== '\\') break;
      j++;
    }
    return isPlaceholder(text.slice(start, j)) ? undefined : { index: start, length: j - start };
  }
  const lineEnd = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
  const rest = text.slice(i, lineEnd);
  if (blockKey && /^[|>][-+0-9]*[ \t]*$/.test(rest)) {
    // A block scalar: every following line indented deeper than the key.
    const keyLine = text.slice(text.lastIndexOf('\n', from - 1) + 1, from);
    const keyIndent = keyLine.length - keyLine.trimStart().length;
    let end = lineEnd;
    let start = -1;
    while (end < text.length) {
      const next = text.indexOf('\n', end + 1) === -1 ? text.length : text.indexOf('\n', end + 1);
      const line = text.slice(end + 1, next);
      if (line.trim() !== '' && line.length - line.trimStart().length <= keyIndent) break;
      if (start === -1 && line.trim() !== '') start = end + 1 + (line.length - line.trimStart().length);
      end = next;
    }
    if (start === -1) return undefined;
    return isPlaceholder(text.slice(start, end).trim()) ? undefined : { index: start, length: end - start };
  }
  const value = blockKey ? rest.replace(/[ \t]+#.*$/, '').trimEnd() : (rest.match(/^[^\s,;&}\])'"`|]*/)?.[0] ?? '');
  return isPlaceholder(value) ? undefined : { index: i, length: value.length };
}

/** Not a secret: empty, a boolean or null, a reference to one elsewhere, a collection, a path. */
function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return (
    v === '' ||
    /^(true|false|yes|no|on|off|null|~)$/i.test(v) ||
    /^(\$\{.*\}|\$\(.*\)|\{\{.*\}\}|<[^>]*>)$/.test(v) ||
    /^[[{&*!]/.test(v) ||
    /^(\/|\.\/|~\/|file:)/.test(v) ||
    v.endsWith(':') ||
    // Already redacted (a message redacted twice), even where a delimiter cut the marker short.
    v.includes(REDACTED.slice(0, -1)) ||
    /^\*+$/.test(v)
  );
}

function nthLineBack(text: string, from: number, n: number): number {
  let i = from;
  for (let k = 0; k < n && i > 0; k++) i = text.lastIndexOf('\n', i - 2) + 1;
  return i;
}

function nthLineForward(text: string, from: number, n: number): number {
  let i = from;
  for (let k = 0; k < n; k++) {
    const next = text.indexOf('\n', i);
    if (next === -1) return text.length;
    i = next + 1;
  }
  return i;
}

/**
 * What a chart value is if it is a credential, by its key and its content: a password, token or
 * key by name (`isSecretName`), the `key` beside a `cert` (a TLS pair), the value of an environment
 * variable whose name is a secret's, or any text the detector finds a credential in (a private key,
 * a cloud AccessKey ID, a JWT). A public certificate is none of these. Only non-empty strings count.
 */
export function credentialKind(
  key: string,
  value: unknown,
  siblings: Readonly<Record<string, unknown>>,
): 'a private key' | 'a credential' | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const found = findCredentials(value).filter((c) => c.redact);
  if (found.some((c) => c.what.includes('private key'))) return 'a private key';
  if (key === 'key' && 'cert' in siblings) return 'a private key';
  if (isSecretName(key)) return 'a credential';
  // An environment variable entry: { name: DB_PASSWORD, value: ... }.
  if (key === 'value' && typeof siblings.name === 'string' && isSecretName(siblings.name)) return 'a credential';
  return found.length > 0 ? 'a credential' : undefined;
}
