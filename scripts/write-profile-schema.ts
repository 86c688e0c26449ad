/** Regenerate schema/clusterprofile.schema.json and the README field reference from the zod schema. */
import * as fs from 'fs';
import { profileJsonSchemaText, SCHEMA_FILE, withReference } from '../lib/profile/reference';

fs.mkdirSync('schema', { recursive: true });
fs.writeFileSync(SCHEMA_FILE, profileJsonSchemaText());
fs.writeFileSync('README.md', withReference(fs.readFileSync('README.md', 'utf8')));
process.stdout.write(`wrote ${SCHEMA_FILE} and the README field reference\n`);
