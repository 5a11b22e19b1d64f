import { isGtin14 } from './gtin';

/**
 * GS1 Digital Link URIs (GS1 Digital Link standard 1.x): `{base}/01/{gtin}/10/{batch or lot}`.
 * The same URI is the QR code on a label, the page a consumer opens and the EPC of the lot or
 * sub-lot in EPCIS events, so all three name one thing.
 */
export function digitalLink(base: string, gtin: string, lot: string): string {
  if (!isGtin14(gtin)) throw new Error(`"${gtin}" is not a GTIN-14`);
  if (!lot || lot.length > 20) throw new Error(`batch/lot "${lot}" must be 1 to 20 characters (AI 10)`);
  return `${base.replace(/\/+$/, '')}/01/${gtin}/10/${encodeURIComponent(lot)}`;
}

/** Reads `/01/{gtin}/10/{lot}` from the path of a Digital Link URI; null when it is not one. */
export function parseDigitalLinkPath(path: string): { gtin: string; lot: string } | null {
  const match = /(?:^|\/)01\/(\d{14})\/10\/([^/?#]+)\/?$/.exec(path.split(/[?#]/)[0]);
  if (!match || !isGtin14(match[1])) return null;
  try {
    return { gtin: match[1], lot: decodeURIComponent(match[2]) };
  } catch {
    return null;
  }
}
