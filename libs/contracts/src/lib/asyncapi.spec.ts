import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventCatalog } from './catalog';
import { asyncApiDocument, asyncApiYaml } from './asyncapi';

const DOC = path.resolve(__dirname, '../../../../docs/asyncapi.yaml');

describe('AsyncAPI document', () => {
  it('describes every event type with a payload schema', () => {
    const doc = asyncApiDocument() as { components: { messages: Record<string, { name: string; payload: { $ref: string } }>; schemas: Record<string, unknown> } };
    const names = Object.values(doc.components.messages).map((m) => m.name);
    expect(names.sort()).toEqual(Object.keys(EventCatalog).sort());
    for (const m of Object.values(doc.components.messages)) {
      expect(doc.components.schemas[m.payload.$ref.split('/').pop() ?? '']).toBeDefined();
    }
  });

  it('is what docs/asyncapi.yaml holds (UPDATE_DOCS=1 regenerates it)', () => {
    const generated = asyncApiYaml();
    if (process.env['UPDATE_DOCS'] === '1') writeFileSync(DOC, generated);
    expect(readFileSync(DOC, 'utf8')).toBe(generated);
  });
});
