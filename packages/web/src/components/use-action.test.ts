import { describe, expect, it } from 'vitest';
import { type ActionState, perform } from './use-action';

/** Plays the changes `perform` shows onto a page's state, as the hook's setState does. */
function page(start: ActionState = { busy: false, error: null, notice: '' }) {
  const seen: ActionState[] = [];
  let state = start;
  const show = (change: Partial<ActionState>) => {
    state = { ...state, ...change };
    seen.push(state);
  };
  return { show, seen, now: () => state };
}

describe('an action on a page', () => {
  it('is busy while it runs, then shows its answer as the notice and runs onDone', async () => {
    const p = page({ busy: false, error: new Error('older'), notice: 'older' });
    let reloads = 0;
    await perform(
      async () => {
        expect(p.now()).toEqual({ busy: true, error: null, notice: '' });
        return 'Saved.';
      },
      p.show,
      () => reloads++,
    );
    expect(p.now()).toEqual({ busy: false, error: null, notice: 'Saved.' });
    expect(reloads).toBe(1);
  });

  it('shows what it threw as the error, with no notice, and does not run onDone', async () => {
    const p = page({ busy: false, error: null, notice: 'older' });
    const failure = new Error('refused');
    let reloads = 0;
    await perform(
      async () => {
        throw failure;
      },
      p.show,
      () => reloads++,
    );
    expect(p.now()).toEqual({ busy: false, error: failure, notice: '' });
    expect(reloads).toBe(0);
  });

  it('leaves the notice empty when it answers with nothing to say', async () => {
    const p = page();
    await perform(async () => '', p.show);
    expect(p.seen.at(-1)).toEqual({ busy: false, error: null, notice: '' });
  });
});
