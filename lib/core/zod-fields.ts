/**
 * Field shapes the profile sections share (names, CIDRs, images, durations) and `doc`, which
 * attaches what editors and the README show. Only schema files import this.
 */
import { z } from 'zod';
import { GO_DURATION } from './duration';

/** Attach the description (and, for documentation only, the default) an editor shows. */
export function doc<T extends z.ZodType>(schema: T, description: string, defaultValue?: unknown): T {
  return schema.meta(defaultValue === undefined ? { description } : { description, default: defaultValue }) as T;
}

export const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit',
  );

// Kubernetes allows 253 characters; each object is also a file <Kind>.<name>.k8s.yaml, which
// must fit the 255 bytes a file name may have.
export const dnsSubdomain = z
  .string()
  .max(200, 'must be at most 200 characters: the name also names a file in dist/')
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS subdomain: lowercase letters, digits, "-" and "."');

/** CIDRs are checked for shape here and for meaning (host bits, overlaps) by the rules. */
export const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a CIDR such as 10.0.0.0/16');

export const quantity = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi');

export const image = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
    'must be a pinned image reference: registry/repository:tag or @sha256 digest',
  )
  .refine((ref) => !/:latest$/.test(ref), 'must not use the tag "latest": pin a version');

export const goDuration = z.string().regex(GO_DURATION, 'must be a Go duration such as 30s, 1m30s or 250ms');
