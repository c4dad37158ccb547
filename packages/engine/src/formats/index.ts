import { registerFormat } from '../payload.js';
import { csvCodec } from './csv.js';
import { jsonCodec } from './json.js';
import { textCodec } from './text.js';
import { xmlCodec } from './xml.js';

/**
 * The payload format codecs. Importing this module registers all four with payload.ts, which
 * stays free of parser imports.
 */
registerFormat('json', jsonCodec);
registerFormat('xml', xmlCodec);
registerFormat('csv', csvCodec);
registerFormat('text', textCodec);

export { csvCodec, parseCsv, writeCsv } from './csv.js';
export { detectFormat } from './detect.js';
export { jsonCodec, parseJson } from './json.js';
export { textCodec } from './text.js';
export { parseXml, refusedXmlConstruct, writeXml, xmlCodec } from './xml.js';
