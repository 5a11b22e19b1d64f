import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as jsonld from 'jsonld';
import { EPCIS_CONTEXT_URL } from '../document';

/**
 * Checks documents against the standard itself, offline: GS1's EPCIS 2.0 JSON Schema and the EPCIS
 * 2.0 JSON-LD context, both vendored beside this file. For tests only.
 */
const read = (file: string): unknown => JSON.parse(readFileSync(path.join(__dirname, file), 'utf8'));

// The schema is draft-07: ajv's default class. `strict: false` because GS1's schema uses keywords
// ajv's strict mode rejects (e.g. "if" without "then" in places); formats are uri and date-time.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(read('EPCIS-JSON-Schema.json') as object);

/** The schema's errors for this document; [] when it is valid. */
export function schemaErrors(doc: unknown): ErrorObject[] {
  return validate(doc) ? [] : [...(validate.errors ?? [])];
}

const context = read('epcis-context.jsonld');

/** Expands a document in safe mode (anything lossy throws), with the EPCIS context from disk: no network. */
export function expandOffline(doc: object): Promise<object[]> {
  return jsonld.expand(doc, {
    safe: true,
    documentLoader: async (url) => {
      if (url !== EPCIS_CONTEXT_URL)
        throw new Error(`no network in tests: ${url} is not the bundled EPCIS context`);
      return { contextUrl: null, documentUrl: url, document: context };
    },
  });
}
