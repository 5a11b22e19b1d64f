import { gs1CheckDigit } from './gtin';

/**
 * Locations as GS1 Digital Link URIs, `{base}/414/{gln}/254/{extension}`: one GLN for the
 * organisation (company prefix, location reference 0…) and the place's own id as the GLN extension
 * (AI 254), so a warehouse or orchard needs no registered GLN of its own to be named.
 */
export function organisationGln(companyPrefix: string): string {
  if (!/^\d{6,12}$/.test(companyPrefix))
    throw new Error(`GS1 company prefix "${companyPrefix}" is not 6 to 12 digits`);
  const body = companyPrefix.padEnd(12, '0');
  return body + gs1CheckDigit(body);
}

/** AI 254 holds 1 to 20 characters of GS1's set 82; ids that do not fit become a stable 20-character digest. */
export function glnExtension(id: string): string {
  if (/^[A-Za-z0-9_.-]{1,20}$/.test(id)) return id;
  const digest = Buffer.from(id, 'utf8').reduce(
    (h, byte) => Math.imul(h ^ byte, 0x01000193) >>> 0,
    0x811c9dc5,
  );
  // The readable head of the id keeps the URI recognisable; the digest keeps it unique.
  const head = id.replace(/[^A-Za-z0-9-]/g, '').slice(0, 11);
  return `${head}-${digest.toString(16).padStart(8, '0')}`;
}

export function locationLink(base: string, gln: string, extension: string): string {
  if (!/^\d{13}$/.test(gln) || gs1CheckDigit(gln.slice(0, 12)) !== gln[12])
    throw new Error(`"${gln}" is not a GLN`);
  return `${base.replace(/\/+$/, '')}/414/${gln}/254/${encodeURIComponent(glnExtension(extension))}`;
}
