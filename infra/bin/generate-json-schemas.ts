import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_JSON_SCHEMAS, jsonSchemaText } from '../../events/json-schemas';
import { GantryConfigSchema } from '../config/schema';

/** `npm run schemas`: regenerates the committed JSON Schemas from the zod schemas. */
const root = join(import.meta.dirname, '..', '..');
for (const [file, schema] of Object.entries(EVENT_JSON_SCHEMAS)) {
  writeFileSync(join(root, 'events', 'schemas', file), jsonSchemaText(schema, `https://gantry.dev/schemas/${file}`));
}
writeFileSync(
  join(root, 'infra', 'config', 'gantry.config.schema.json'),
  jsonSchemaText(GantryConfigSchema, 'https://gantry.dev/schemas/gantry.config.schema.json'),
);
console.log('JSON Schemas written to events/schemas/ and infra/config/');
