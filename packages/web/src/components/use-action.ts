import { useRef, useState } from 'react';

/** What the last action on a page left to show: its outcome or its error, and whether one is running. */
export interface ActionState {
  busy: boolean;
  error: unknown;
  notice: string;
}

export interface Action extends ActionState {
  /**
   * Runs `what`, whose answer (a sentence, or '' for none) becomes the notice; a throw becomes the
   * error. The page's earlier notice and error go first, so they never describe an older action.
   */
  act(what: () => Promise<string>): Promise<void>;
  /** For outcomes that come from elsewhere (a rename form, a click that needs no request). */
  setNotice(notice: string): void;
  setError(error: unknown): void;
}

/** The steps of one action, apart from React so they can be tested as they are. */
export async function perform(
  what: () => Promise<string>,
  show: (change: Partial<ActionState>) => void,
  onDone?: () => void,
): Promise<void> {
  show({ busy: true, error: null, notice: '' });
  try {
    const notice = await what();
    show({ busy: false, notice });
    onDone?.();
  } catch (error) {
    show({ busy: false, error });
  }
}

/**
 * The error, notice and busy state of a page's actions (save, delete, export…). `onDone` runs after
 * each action that succeeds, typically the page's reload.
 */
export function useAction(onDone?: () => void): Action {
  const [state, setState] = useState<ActionState>({ busy: false, error: null, notice: '' });
  // The latest onDone: pages pass a fresh closure each render, and an action may finish renders later.
  const done = useRef(onDone);
  done.current = onDone;
  const show = (change: Partial<ActionState>) => setState((s) => ({ ...s, ...change }));
  return {
    ...state,
    act: (what) => perform(what, show, () => done.current?.()),
    setNotice: (notice) => show({ notice }),
    setError: (error) => show({ error }),
  };
}
