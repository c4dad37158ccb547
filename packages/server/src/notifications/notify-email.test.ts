import type { FlowDefinition } from '@weft/schema';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestSystem, type TestSystem } from '../test-support/harness.js';
import { waitForRun } from '../test-support/runs.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { sendRunFailureEmails } from './failure-emails.js';

/** trigger → notify (→ a failing assert when asked), with optional run-failure emails. */
function notifyFlow(notify: Record<string, unknown>, options: { fail?: boolean; onFailure?: string[] } = {}): FlowDefinition {
  const steps: FlowDefinition['steps'] = [
    { id: 'trigger', shape: 'trigger', config: options.onFailure ? { notify_on_failure: options.onFailure } : {} },
    { id: 'tell', shape: 'notify', name: 'Tell ops', config: notify },
  ];
  const edges: FlowDefinition['edges'] = [{ from: 'trigger', to: 'tell' }];
  if (options.fail) {
    steps.push({ id: 'check', shape: 'assert', config: { expected: { never: true } } });
    edges.push({ from: 'tell', to: 'check' });
  }
  return { format: 'json', variables: { env: 'staging' }, steps, edges };
}

async function runFlow(sys: TestSystem, token: string, definition: FlowDefinition, payload: string) {
  const h = sys.auth(token);
  const flow = (
    await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: `n-${Math.random()}`, definition } })
  ).json();
  expect(flow.data?.id, JSON.stringify(flow)).toBeDefined();
  const start = (
    await sys.app.inject({
      method: 'POST',
      url: `/api/v1/flows/${flow.data.id}/manual/${flow.data.draft_version_id}`,
      headers: h,
      payload: { payload },
    })
  ).json();
  return waitForRun(sys.app, h, start.flow_run_id);
}

async function createGroup(sys: TestSystem, token: string, name: string, emails: string[]) {
  const res = await sys.app.inject({
    method: 'POST',
    url: '/api/v1/notification-groups',
    headers: sys.auth(token),
    payload: { name, emails },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as { id: string };
}

describe('notify email and run-failure emails through a real SMTP server', () => {
  let smtp: SmtpSink;
  let sys: TestSystem;
  let token: string;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    sys = await createTestSystem({ smtpUrl: smtp.url, smtpFrom: 'Weft Alerts <alerts@weft.test>', retryBaseMs: 10 });
    token = (await sys.register()).token;
    await createGroup(sys, token, 'ops', ['ann@ops.test', 'bob@ops.test']);
    await createGroup(sys, token, 'nobody', []);
  });
  afterAll(async () => {
    await sys.close();
    await smtp.close();
  });
  afterEach(() => {
    smtp.messages.length = 0;
    smtp.refuseWith(undefined);
  });

  it("emails the group's members once, with the subject and body templated from payload and variables", async () => {
    const run = await runFlow(
      sys,
      token,
      notifyFlow({
        channel: 'email',
        group: 'OPS',
        level: 'warning',
        subject: 'Order [[payload.id]] on [[flow.env]]',
        template: 'Order [[payload.id]] for [[payload.customer]] needs a look (run [[run.id]])',
      }),
      '{"id":"A-17","customer":"Jane"}',
    );
    expect(run.status, String(run.error)).toBe('success');
    const [mail] = await smtp.waitFor(1);
    expect(smtp.messages).toHaveLength(1);
    expect(mail!.from).toBe('alerts@weft.test');
    expect(mail!.to.sort()).toEqual(['ann@ops.test', 'bob@ops.test']);
    expect(mail!.subject).toBe('Order A-17 on staging');
    expect(mail!.text).toBe(`Order A-17 for Jane needs a look (run ${run.id})`);
    expect(mail!.raw).toMatch(/^From: Weft Alerts <alerts@weft\.test>$/m);

    const logs = (
      await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: sys.auth(token) })
    ).json().data;
    expect(logs.map((l: { message: string }) => l.message)).toContain('notify: emailed notification group "OPS" (2 recipients)');
  });

  it('fails the step with NOTIFICATION_GROUP_UNKNOWN for a group the company does not have, sending nothing', async () => {
    const run = await runFlow(sys, token, notifyFlow({ channel: 'both', group: 'missing', template: 'x' }), '{}');
    expect(run.status).toBe('failure');
    const logs = (
      await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: sys.auth(token) })
    ).json().data;
    expect(JSON.stringify(logs)).toContain('There is no notification group \\"missing\\"');
    expect(smtp.messages).toEqual([]);
  });

  it("does not reach another company's group of the same name", async () => {
    const other = (await sys.register()).token;
    const run = await runFlow(sys, other, notifyFlow({ channel: 'email', group: 'ops', template: 'x' }), '{}');
    expect(run.status).toBe('failure');
    expect(smtp.messages).toEqual([]);
  });

  it('retries when the SMTP server refuses for now and fails the step with EMAIL_SEND_FAILED, the run failing', async () => {
    smtp.refuseWith(451);
    const run = await runFlow(sys, token, notifyFlow({ channel: 'email', group: 'ops', template: 'x' }), '{}');
    expect(run.status).toBe('failure');
    const logs = (
      await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: sys.auth(token) })
    ).json().data;
    const attempts = logs.filter((l: { message: string }) => l.message.includes('The SMTP server did not take the email'));
    expect(attempts.length).toBeGreaterThan(1);
  });

  it('sends an email to an empty group to nobody and goes on', async () => {
    const run = await runFlow(sys, token, notifyFlow({ channel: 'email', group: 'nobody', template: 'x' }), '{}');
    expect(run.status).toBe('success');
    expect(smtp.messages).toEqual([]);
  });

  it("emails the trigger's notify_on_failure groups once when a run fails, and not when it succeeds", async () => {
    const failed = await runFlow(sys, token, notifyFlow({ template: 'log only' }, { fail: true, onFailure: ['ops'] }), '{"a":1}');
    expect(failed.status).toBe('failure');
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to.sort()).toEqual(['ann@ops.test', 'bob@ops.test']);
    expect(mail!.subject).toMatch(/^Weft: run of "n-[\d.]+" failed$/);
    expect(mail!.text).toContain(`The run ${failed.id} of the flow`);
    expect(mail!.text).toContain('Error: ');
    // Once per run: nothing more arrives.
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages).toHaveLength(1);

    smtp.messages.length = 0;
    const ok = await runFlow(sys, token, notifyFlow({ template: 'log only' }, { onFailure: ['ops'] }), '{}');
    expect(ok.status).toBe('success');
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages).toEqual([]);
  });

  it('leaves the failed run as it is when the failure email cannot be sent', async () => {
    smtp.refuseWith(550);
    const failed = await runFlow(sys, token, notifyFlow({ template: 'x' }, { fail: true, onFailure: ['ops', 'missing'] }), '{}');
    expect(failed.status).toBe('failure');
    await new Promise((r) => setTimeout(r, 300));
    const again = (await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${failed.id}`, headers: sys.auth(token) })).json().data;
    expect(again.status).toBe('failure');
    expect(again.error).toBe(failed.error);
  });
});

describe('without SMTP settings', () => {
  let sys: TestSystem;
  let token: string;
  let companyId: string;

  beforeAll(async () => {
    sys = await createTestSystem({});
    ({ token, companyId } = await sys.register());
    await createGroup(sys, token, 'ops', ['ann@ops.test']);
  });
  afterAll(() => sys.close());

  it('fails a notify email step with SMTP_NOT_CONFIGURED and no retry, naming the setting', async () => {
    const run = await runFlow(sys, token, notifyFlow({ channel: 'email', group: 'ops', template: 'x' }), '{}');
    expect(run.status).toBe('failure');
    const logs = (
      await sys.app.inject({ method: 'GET', url: `/api/v1/flow-runs/${run.id}/flow-run-logs`, headers: sys.auth(token) })
    ).json().data;
    const errors = logs.filter((l: { level: string; step_id: string }) => l.level === 'error' && l.step_id === 'tell');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toContain('WEFT_SMTP_URL');
  });

  it('still runs notify with channel log', async () => {
    const run = await runFlow(sys, token, notifyFlow({ template: 'hello [[payload.a]]' }), '{"a":"there"}');
    expect(run.status).toBe('success');
  });

  it('skips run-failure emails with a log line', async () => {
    const failed = await runFlow(sys, token, notifyFlow({ template: 'x' }, { fail: true, onFailure: ['ops'] }), '{}');
    const run = await sys.store.getRun(companyId, failed.id as string);
    const lines: Array<{ message: string; extra?: Record<string, unknown> }> = [];
    await sendRunFailureEmails(
      { store: sys.store, mailer: undefined, log: (message, extra) => lines.push({ message, ...(extra && { extra }) }) },
      run!,
      'x',
    );
    expect(lines).toEqual([
      { message: 'run failure emails skipped: no SMTP settings (WEFT_SMTP_URL)', extra: { runId: failed.id, groups: ['ops'] } },
    ]);
  });
});
