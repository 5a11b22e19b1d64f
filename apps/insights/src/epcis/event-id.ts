import { createHash } from 'node:crypto';

/** Namespace of Firstmile's EPCIS event ids (a random UUID, fixed once: changing it renames every event). */
const NAMESPACE = '5d0c2a5e-8f0e-4d43-9a43-3c1b1f7e6a21';

/** RFC 9562 version-5 (SHA-1, name-based) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The EPCIS eventID of what a source event (its CloudEvents id) says, `urn:uuid:<v5>`: the same
 * source event always gives the same id, so a redelivery or a replay of the topics stores one event.
 */
export const eventIdFor = (name: string): string => `urn:uuid:${uuidV5(name, NAMESPACE)}`;
