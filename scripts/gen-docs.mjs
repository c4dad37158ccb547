#!/usr/bin/env node
// Writes the reference documents that are generated from code, so they cannot drift from it
// (DESIGN.md: generate facts that drift). It reads the built schema package:
//
//   npx tsc -b packages/schema && node scripts/gen-docs.mjs           # write the files
//   npx tsc -b packages/schema && node scripts/gen-docs.mjs --check   # exit 1 if one is out of date
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const schemaEntry = new URL('../packages/schema/dist/index.js', import.meta.url);

let schema;
try {
  schema = await import(schemaEntry.href);
} catch (err) {
  console.error(`Cannot load ${fileURLToPath(schemaEntry)}; build it first with \`npx tsc -b packages/schema\`.\n${err}`);
  process.exit(1);
}
if (typeof schema.renderErrorsDoc !== 'function') {
  console.error('packages/schema/dist/index.js does not export renderErrorsDoc; export it from src/index.ts and rebuild.');
  process.exit(1);
}

/** Each generated document: its path from the repository root and how to render it. */
const documents = [{ path: schema.ERRORS_DOC_PATH ?? 'docs/errors.md', render: () => schema.renderErrorsDoc(schema.ERROR_CODES) }];

const check = process.argv.includes('--check');
let stale = 0;
for (const document of documents) {
  const file = `${root}${document.path}`;
  const wanted = document.render();
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === wanted) {
    console.log(`${document.path} is up to date`);
  } else if (check) {
    console.error(`${document.path} is out of date; run \`npx tsc -b packages/schema && node scripts/gen-docs.mjs\``);
    stale++;
  } else {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, wanted);
    console.log(`wrote ${document.path}`);
  }
}
process.exit(stale === 0 ? 0 : 1);
