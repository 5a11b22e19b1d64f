import { randomBytes } from 'node:crypto';

/** Crockford base32: no I, L, O or U, so a code read off a label is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TRACE_CODE_LENGTH = 12;

/**
 * A trace code for a sub-lot's label: 12 Crockford base32 characters = 60 random bits, short enough
 * for a small QR code, URL-safe, and not guessable from any other code.
 */
export function newTraceCode(): string {
  const bytes = randomBytes(TRACE_CODE_LENGTH);
  let code = '';
  // 256 is a multiple of 32, so the low five bits of a random byte are uniform.
  for (let i = 0; i < TRACE_CODE_LENGTH; i++) code += ALPHABET[bytes[i] & 31];
  return code;
}
