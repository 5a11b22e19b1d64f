import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Readable, unguessable ids with a type prefix (`LOT-7K3QH9WZ2M`): 50 random bits in Crockford
 * base32, no look-alike characters, safe in URLs and on a printed label.
 */
export function newId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[bytes[i] & 31];
  return `${prefix}-${id}`;
}
