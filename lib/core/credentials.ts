/** Cloud credentials must never reach git: profile fields that look like one are refused. */

const CREDENTIAL_KEY = /^(access[_-]?key(id)?|access[_-]?secret|access[_-]?key[_-]?secret|secret[_-]?key)$/i;

export const CREDENTIAL_MESSAGE =
  'holds a cloud credential, which must never be committed: leave access_key/access_secret out and let Terway read its credentials from credential_path (default /var/addon/token-config), the RAM role ACK mounts on every node';

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key);
}

/** Marks a schema issue as a refused credential, so the report never echoes the value. */
export const CREDENTIAL_ISSUE = { credential: true } as const;

/** "-----BEGIN" as it starts a base64-encoded PEM block (Helm values carry certificates so). */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/=\s]*/g;

/**
 * Whether `text` holds a PEM private key, plain or base64-encoded. A certificate is public and
 * passes: only a block whose label ends in PRIVATE KEY is a secret.
 */
export function containsPrivateKey(text: string): boolean {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return true;
  for (const m of text.matchAll(BASE64_PEM)) {
    const decoded = Buffer.from(m[0].replace(/\s+/g, ''), 'base64').toString('latin1');
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(decoded)) return true;
  }
  return false;
}

/** Key names whose value is the secret itself (not a reference to one, such as secretName). */
const CREDENTIAL_NAME = /(password|passwd|passphrase|token|api[-_]?key|client[-_]?secret|secret[-_]?key|access[-_]?key|access[-_]?secret|private[-_]?key)$/i;

/**
 * What a chart value is if it is a credential, by its key and its content: a password, token or
 * key by name, the `key` beside a `cert` (a TLS pair), or any text that carries a private key, a
 * cloud AccessKey ID or a JWT. Only non-empty strings can be one.
 */
export function credentialKind(key: string, value: unknown, siblings: Readonly<Record<string, unknown>>): 'a private key' | 'a credential' | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (containsPrivateKey(value)) return 'a private key';
  if (key === 'key' && 'cert' in siblings) return 'a private key';
  if (CREDENTIAL_NAME.test(key)) return 'a credential';
  // An environment variable entry: { name: DB_PASSWORD, value: ... }.
  if (key === 'value' && typeof siblings.name === 'string' && /(PASS|TOKEN|SECRET|API_?KEY)/i.test(siblings.name)) return 'a credential';
  if (/\bLTAI[A-Za-z0-9]{12,30}\b|\b(AKIA|ASIA)[A-Z0-9]{16}\b|\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/.test(value)) return 'a credential';
  return undefined;
}
