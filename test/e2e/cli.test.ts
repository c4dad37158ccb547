import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CANARY, findCanaryLeaks } from '../../packages/server/src/test-support/canary.js';
import { runWeft } from './weft-process.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const EXAMPLE = new URL('../../examples/flows/customers-to-crm.json', import.meta.url);

describe('the weft command line', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'weft-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { WEFT_DATA_DIR: dataDir, WEFT_EGRESS_ALLOW: '127.0.0.1', WEFT_LOG_LEVEL: 'silent' };

  it('migrates, adds a user, imports the example flow and runs it against a real sink', { timeout: 120_000 }, async () => {
    const bodies: string[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const port = (sink.address() as { port: number }).port;

    expect((await runWeft(['migrate'], env)).code).toBe(0);
    const added = await runWeft(
      ['user', 'add', '--email', 'ops@cli.test', '--password', `correct horse battery ${CANARY}`, '--company', 'CLI Ltd'],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ email: 'ops@cli.test', role: 'administrator' });

    // The example flow, pointed at this test's sink.
    const doc = JSON.parse((await import('node:fs')).readFileSync(EXAMPLE, 'utf8'));
    const definition = doc.definition ?? doc;
    definition.variables.crm_url = `http://127.0.0.1:${port}/customers`;
    const file = path.join(dataDir, 'flow.json');
    writeFileSync(file, JSON.stringify(doc.definition ? { ...doc, definition } : definition));

    const imported = await runWeft(['flow', 'import', file, '--email', 'ops@cli.test', '--deploy', '--enable'], env);
    expect(imported.code, imported.stderr).toBe(0);
    const { flow_id, deployed_version_id } = JSON.parse(imported.stdout);
    expect(deployed_version_id).toBeTruthy();

    const ran = await runWeft(
      ['flow', 'run', flow_id, '--email', 'ops@cli.test', '--payload', new URL('customers-10.payload.json', FIXTURES).pathname],
      env,
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: 'success' });
    expect(JSON.parse(bodies[0]!)).toEqual(
      JSON.parse((await import('node:fs')).readFileSync(new URL('customers-10.mapped.json', FIXTURES), 'utf8')),
    );
    // Leak canaries: the password given on the command line is in no file of the data directory and in nothing printed.
    const printed = [added, imported, ran].flatMap((r) => [r.stdout, r.stderr]);
    expect(await findCanaryLeaks({ dataDir, config: { databaseSchema: '' }, logLines: printed })).toEqual([]);
    sink.close();
  });

  it('explains itself and fails on unknown commands and missing options', { timeout: 90_000 }, async () => {
    const unknown = await runWeft(['frobnicate'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Usage:');
    const missing = await runWeft(['user', 'add', '--email', 'x@y.test'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--password');
    const noUser = await runWeft(['flow', 'run', 'nope', '--email', 'nobody@cli.test'], env);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('no user with email');
  });
});
