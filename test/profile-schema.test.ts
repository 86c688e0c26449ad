import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { profileJsonSchemaText, SCHEMA_FILE, withReference } from '../lib/profile/reference';

const ROOT = path.join(__dirname, '..');

describe('the editor schema and the README reference', () => {
  test('the committed JSON Schema is what the profile schema generates (run npm run schema)', () => {
    expect(fs.readFileSync(path.join(ROOT, SCHEMA_FILE), 'utf8')).toBe(profileJsonSchemaText());
  });

  test('the README field reference is what the profile schema generates (run npm run schema)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toBe(withReference(readme));
  });

  test('the JSON Schema refuses unknown fields, as the tool does', () => {
    const schema = JSON.parse(profileJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.spec.additionalProperties).toBe(false);
    expect(schema.properties.spec.properties.terway.additionalProperties).toBe(false);
  });

  test('every example names the schema for editors on its first line', () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'clusters'))) {
      const text = fs.readFileSync(path.join(ROOT, 'clusters', f), 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/clusterprofile.schema.json');
      expect(parse(text).apiVersion).toBe('netscale.dev/v1alpha1');
    }
  });
});
