// The stand-in CRM: receives each delivery, checks the body against the expected mapping (deep
// equality) and records when it arrived, by the run id the flow puts in the URL (?run=[[run.id]]).
import http from 'node:http';
import { isDeepStrictEqual } from 'node:util';

export function startSink() {
  /** runId → { t: performance.now() at the end of the first delivery's body, good, count } */
  const deliveries = new Map();
  const expected = [];
  // A body byte-identical to one already found deep-equal is deep-equal; remember a few.
  const knownGood = new Set();
  const stats = { requests: 0, good: 0, bad: 0, duplicates: 0, withoutRun: 0 };
  const badSamples = [];

  function check(text) {
    if (knownGood.has(text)) return true;
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    for (const want of expected) {
      if (Array.isArray(value) && Array.isArray(want) && value.length !== want.length) continue;
      if (isDeepStrictEqual(value, want)) {
        if (text.length < 64 * 1024 && knownGood.size < 16) knownGood.add(text);
        return true;
      }
    }
    return false;
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const t = performance.now();
      stats.requests++;
      const q = req.url.indexOf('?run=');
      const runId = q >= 0 ? decodeURIComponent(req.url.slice(q + 5).split('&')[0]) : undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      const good = req.method === 'POST' && check(text);
      if (good) stats.good++;
      else {
        stats.bad++;
        if (badSamples.length < 3)
          badSamples.push({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text,
          });
      }
      if (runId === undefined) stats.withoutRun++;
      else {
        const seen = deliveries.get(runId);
        if (seen) {
          seen.count++;
          seen.good &&= good;
          stats.duplicates++;
        } else deliveries.set(runId, { t, good, count: 1 });
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 65_000; // longer than any client's idle reuse, so no reset races
  server.headersTimeout = 70_000;
  server.requestTimeout = 120_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        deliveries,
        stats,
        badSamples,
        /** Adds a document a delivery may equal (W1's 10 records, W2's 40 000). */
        expect(doc) {
          expected.push(doc);
        },
        close() {
          server.closeAllConnections();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}
