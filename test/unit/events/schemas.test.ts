import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETAIL_TYPES, SOURCE_EVENT_SOURCE, SourceEventSchema } from '../../../events';
import { EVENT_JSON_SCHEMAS, jsonSchemaText } from '../../../events/json-schemas';
import { GantryConfigSchema } from '../../../infra/config/schema';

const root = join(import.meta.dirname, '..', '..', '..');
const read = (...path: string[]) => readFileSync(join(root, ...path), 'utf8');

describe('JSON Schemas', () => {
  it.each(Object.entries(EVENT_JSON_SCHEMAS))(
    'events/schemas/%s is what the zod schema generates (run `npm run schemas`)',
    (file, schema) => {
      expect(read('events', 'schemas', file)).toBe(jsonSchemaText(schema, `https://gantry.dev/schemas/${file}`));
    },
  );

  it('infra/config/gantry.config.schema.json is what the config schema generates (run `npm run schemas`)', () => {
    expect(read('infra', 'config', 'gantry.config.schema.json')).toBe(
      jsonSchemaText(GantryConfigSchema, 'https://gantry.dev/schemas/gantry.config.schema.json'),
    );
  });
});

describe('example events', () => {
  const examples = readdirSync(join(root, 'events', 'examples')).filter((f) => f.endsWith('.json'));

  it('cover every kind but other', () => {
    const kinds = examples.map((f) => JSON.parse(read('events', 'examples', f)).detail.kind);
    expect(new Set(kinds)).toEqual(new Set(['push', 'tag', 'pull_request', 'branch_delete', 'ping']));
  });

  it.each(examples)('%s is a SourceEvent v1 in the envelope the receiver publishes', (file) => {
    const event = JSON.parse(read('events', 'examples', file));
    const detail = SourceEventSchema.parse(event.detail);
    expect(event.source).toBe(SOURCE_EVENT_SOURCE);
    expect(event['detail-type']).toBe(DETAIL_TYPES[detail.kind]);
  });
});
