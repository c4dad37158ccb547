import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteQueue } from './write-queue.js';

describe('WriteQueue', () => {
  let db: Database.Database;
  let queue: WriteQueue;
  const insert = (value: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(value).changes;
  const values = () => db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all();

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
    queue = new WriteQueue(db);
  });

  afterEach(() => {
    if (db.open) db.close();
  });

  it('commits writes queued in one turn together, in the order they were queued', async () => {
    const results = await Promise.all(['a', 'b', 'c'].map((v) => queue.submit(insert(v))));
    expect(results).toEqual([1, 1, 1]);
    expect(values()).toEqual(['a', 'b', 'c']);
  });

  it('runs a batch as one transaction', async () => {
    const seen: boolean[] = [];
    await Promise.all([queue.submit(() => seen.push(db.inTransaction)), queue.submit(() => seen.push(db.inTransaction))]);
    expect(seen).toEqual([true, true]);
  });

  it('a failing write rolls back alone and rejects alone', async () => {
    const failing = () => {
      db.prepare('INSERT INTO t (v) VALUES (?)').run('partial');
      throw new Error('refused');
    };
    const results = await Promise.allSettled([queue.submit(insert('a')), queue.submit(failing), queue.submit(insert('b'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(values()).toEqual(['a', 'b']);
  });

  it('a later write in the batch sees the earlier ones', async () => {
    const [, duplicate] = await Promise.allSettled([queue.submit(insert('same')), queue.submit(insert('same'))]);
    expect(duplicate.status).toBe('rejected');
    expect(values()).toEqual(['same']);
  });

  it('resolves only after the commit', async () => {
    const pending = queue.submit(insert('a'));
    // Nothing has run yet: the batch waits for the end of this turn of the event loop.
    expect(values()).toEqual([]);
    await pending;
    expect(db.inTransaction).toBe(false);
    expect(values()).toEqual(['a']);
  });

  it('flushAll commits what is queued at once', () => {
    void queue.submit(insert('a'));
    queue.flushAll();
    expect(values()).toEqual(['a']);
  });

  it('refuses writes once the connection is closed', async () => {
    const pending = queue.submit(insert('a'));
    db.close();
    await expect(pending).rejects.toThrow(/not open/);
  });
});
