import { createHash, randomBytes } from 'node:crypto';

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

/**
 * The same kind of id, derived from a seed (an idempotency identity): the same seed always gives
 * the same id, and nobody without the seed can tell it from a random one.
 */
export function derivedId(prefix: string, seed: string, length = 10): string {
  const bytes = createHash('sha256').update(`${prefix}\n${seed}`).digest();
  let id = '';
  for (let i = 0; i < length; i++) id += ALPHABET[bytes[i] & 31];
  return `${prefix}-${id}`;
}
