// A tiny stand-in for your CRM: prints every request it receives. `node examples/sink.mjs` listens on 127.0.0.1:9000.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 9000);
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    console.log(`${req.method} ${req.url} Idempotency-Key: ${req.headers['idempotency-key'] ?? '-'}\n${body}\n`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
}).listen(port, '127.0.0.1', () => console.log(`sink listening on http://127.0.0.1:${port}`));
