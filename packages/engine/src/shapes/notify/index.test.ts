import type { NotifyConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { shapeContext } from '../map/test-support/context.js';
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

  it('refuses the email channels until SMTP settings exist', async () => {
    await expect(notify({ channel: 'email', group: 'ops', template: 'x' }, [Payload.empty()])).rejects.toMatchObject({
      code: 'FLOW_INVALID',
      message: expect.stringContaining('needs SMTP settings'),
    });
  });
});
