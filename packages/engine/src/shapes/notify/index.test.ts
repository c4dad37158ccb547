import { AppError, type NotifyConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
import type { EmailSender } from './email.js';
import { MAX_NOTIFICATIONS_LOGGED, notifyShape } from './index.js';

async function notify(config: NotifyConfig, input: Payload[]) {
  const logs: StepLog[] = [];
  const result = await notifyShape.execute(shapeContext(config, { log: (l) => logs.push(l), variables: { env: 'prod' } }), input);
  return { logs, payloads: result.payloads };
}

describe('notify shape', () => {
  it('writes the rendered message to the run log once per payload and passes payloads on', async () => {
    const input = [Payload.fromValue({ id: 'A1' }, 'json', { k: 'v' }), Payload.fromValue({ id: 'B2' }, 'json', { k: 'w' })];
    const { logs, payloads } = await notify({ level: 'warning', template: 'Order [[payload.id]] ([[meta.k]], [[flow.env]])' }, input);
    expect(payloads).toBe(input);
    expect(logs).toEqual([
      { level: 'warning', message: 'Order A1 (v, prod)', data: { notify: 'warning' } },
      { level: 'warning', message: 'Order B2 (w, prod)', data: { notify: 'warning' } },
    ]);
  });

  it('logs success as info, keeping the level in the entry data', async () => {
    const { logs } = await notify({ level: 'success', template: 'done' }, [Payload.empty()]);
    expect(logs).toEqual([{ level: 'info', message: 'done', data: { notify: 'success' } }]);
  });

  it('logs at info by default, and once for an empty bucket', async () => {
    const { logs } = await notify({ template: 'run [[run.id]] reached notify' }, []);
    expect(logs).toEqual([{ level: 'info', message: 'run run_1 reached notify', data: { notify: 'info' } }]);
  });

  it('logs at most a hundred notifications per step and counts the rest', async () => {
    const input = Array.from({ length: 250 }, (_, i) => Payload.fromValue({ i }, 'json'));
    const { logs } = await notify({ level: 'error', template: '[[payload.i]]' }, input);
    expect(logs).toHaveLength(MAX_NOTIFICATIONS_LOGGED + 1);
    expect(logs.at(-1)!.message).toBe('notify: 150 more notifications not logged (at most 100 per step)');
  });

  it('fails with the payload named when the template refers to something not set', async () => {
    await expect(notify({ template: '[[meta.order]]' }, [Payload.empty()])).rejects.toMatchObject({
      code: 'TEMPLATE_ERROR',
      message: expect.stringMatching(/^template \(the payload\): /),
    });
  });

  it('fails the email channels with SMTP_NOT_CONFIGURED when the server has no SMTP settings', async () => {
    await expect(notify({ channel: 'email', group: 'ops', template: 'x' }, [Payload.empty()])).rejects.toMatchObject({
      code: 'SMTP_NOT_CONFIGURED',
      retryable: false,
      message: expect.stringContaining('WEFT_SMTP_URL'),
    });
  });
});

describe('notify shape, email', () => {
  /** Records what the step asks the server's sender to send; the real SMTP path is tested in the server. */
  function recordingSender(fail?: Error) {
    const sent: Array<{ companyId: string; group: string; subject: string; text: string }> = [];
    const email: EmailSender = {
      async sendToGroup(companyId, group, message) {
        if (fail) throw fail;
        sent.push({ companyId, group, ...message });
        return { recipients: ['a@x.test', 'b@x.test'] };
      },
    };
    return { sent, email };
  }

  async function notifyByEmail(config: NotifyConfig, input: Payload[], email: EmailSender) {
    const logs: StepLog[] = [];
    const base = shapeContext(config, { log: (l) => logs.push(l), variables: { env: 'prod' } });
    const result = await notifyShape.execute(
      { ...base, step: { ...base.step, name: 'Tell ops' }, services: { ...base.services, email } },
      input,
    );
    return { logs, payloads: result.payloads };
  }

  it("sends one email per step to the group, the subject and each payload's message templated", async () => {
    const { sent, email } = recordingSender();
    const input = [Payload.fromValue({ id: 'A1' }, 'json'), Payload.fromValue({ id: 'B2' }, 'json')];
    const { logs, payloads } = await notifyByEmail(
      {
        channel: 'email',
        group: 'ops',
        level: 'error',
        subject: 'Orders from [[flow.env]], first [[payload.id]]',
        template: 'Order [[payload.id]] failed',
      },
      input,
      email,
    );
    expect(payloads).toBe(input);
    expect(sent).toEqual([
      { companyId: 'co_1', group: 'ops', subject: 'Orders from prod, first A1', text: 'Order A1 failed\n\nOrder B2 failed' },
    ]);
    // Channel email writes no message lines, only that the email went out.
    expect(logs).toEqual([
      {
        level: 'info',
        message: 'notify: emailed notification group "ops" (2 recipients)',
        data: { notify: 'error', group: 'ops', recipients: 2 },
      },
    ]);
  });

  it('with channel both, logs every message and emails them; the default subject names the level and step', async () => {
    const { sent, email } = recordingSender();
    const { logs } = await notifyByEmail({ channel: 'both', group: 'ops', level: 'warning', template: 'run [[run.id]]' }, [], email);
    expect(sent).toEqual([{ companyId: 'co_1', group: 'ops', subject: 'Weft warning: Tell ops', text: 'run run_1' }]);
    expect(logs.map((l) => l.message)).toEqual(['run run_1', 'notify: emailed notification group "ops" (2 recipients)']);
  });

  it('cuts the body of a huge bucket at a hundred messages and counts the rest', async () => {
    const { sent, email } = recordingSender();
    const input = Array.from({ length: 130 }, (_, i) => Payload.fromValue({ i }, 'json'));
    await notifyByEmail({ channel: 'email', group: 'ops', template: '#[[payload.i]]' }, input, email);
    const text = sent[0]!.text;
    expect(text.startsWith('#0\n\n#1\n\n')).toBe(true);
    expect(text).toContain('#99');
    expect(text).not.toContain('#100');
    expect(text.endsWith('(30 more messages not included; at most 100 per email)')).toBe(true);
  });

  it('fails naming the subject when its template refers to something not set, and sends nothing', async () => {
    const { sent, email } = recordingSender();
    await expect(
      notifyByEmail({ channel: 'email', group: 'ops', subject: '[[meta.missing]]', template: 'x' }, [Payload.empty()], email),
    ).rejects.toMatchObject({ code: 'TEMPLATE_ERROR', message: expect.stringMatching(/^subject \(the payload\): /) });
    expect(sent).toEqual([]);
  });

  it("passes the sender's failure on (an unknown group, an SMTP server that refuses)", async () => {
    const { email } = recordingSender(new AppError('NOTIFICATION_GROUP_UNKNOWN', 'no group "ops"'));
    await expect(notifyByEmail({ channel: 'email', group: 'ops', template: 'x' }, [Payload.empty()], email)).rejects.toMatchObject({
      code: 'NOTIFICATION_GROUP_UNKNOWN',
    });
  });
});
