/** Cloud credentials must never reach git: profile fields that look like one are refused. */

const CREDENTIAL_KEY = /^(access[_-]?key(id)?|access[_-]?secret|access[_-]?key[_-]?secret|secret[_-]?key)$/i;

export const CREDENTIAL_MESSAGE =
  'holds a cloud credential, which must never be committed: leave access_key/access_secret out and let Terway read its credentials from credential_path (default /var/addon/token-config), the RAM role ACK mounts on every node';

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key);
}

/** Marks a schema issue as a refused credential, so the report never echoes the value. */
export const CREDENTIAL_ISSUE = { credential: true } as const;
