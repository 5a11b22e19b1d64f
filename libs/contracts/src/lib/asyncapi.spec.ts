import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Parser } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { EventCatalog, type EventType, parseEvent } from './catalog';
import { asyncApiDocument, asyncApiYaml } from './asyncapi';
import { EventExamples } from './examples';

const DOC = path.resolve(__dirname, '../../../../docs/asyncapi.yaml');
/** Spectral's DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint. */
const ERROR = 0;

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

  it('parses with the official parser: no diagnostic of severity error, every example valid against its payload schema', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(DOC, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === ERROR).map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
    // The parser's AsyncAPI 3 ruleset does not check examples (its v2 one did), so each example is
    // validated here against the payload schema as the parser resolved it.
    const messages = document?.allMessages().all() ?? [];
    expect(messages).toHaveLength(Object.keys(EventCatalog).length);
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const wrong: string[] = [];
    for (const m of messages) {
      const examples = m.examples().all();
      if (examples.length === 0) wrong.push(`${m.name()}: no example`);
      const validate = ajv.compile(m.payload()?.json() ?? {});
      for (const e of examples) {
        if (!validate(e.payload())) wrong.push(`${m.name()}: ${ajv.errorsText(validate.errors)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it.each(Object.keys(EventCatalog))('the example of %s keeps its contract (class-validator)', (type) => {
    const result = parseEvent(type as EventType, EventExamples[type as EventType]);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
