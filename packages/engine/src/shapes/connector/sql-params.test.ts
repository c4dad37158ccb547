import { describe, expect, it } from 'vitest';
import { compileSql } from './sql-params.js';

describe('compileSql', () => {
  it('numbers PostgreSQL parameters once per name, in order of first use', () => {
    const compiled = compileSql('SELECT * FROM t WHERE a = :a AND b > :b OR a2 = :a', 'postgres');
    expect(compiled.text).toBe('SELECT * FROM t WHERE a = $1 AND b > $2 OR a2 = $1');
    expect(compiled.names).toEqual(['a', 'b']);
    expect(compiled.order).toEqual(['a', 'b', 'a']);
  });

  it('writes one question mark per use for MySQL, repeating the name in binding order', () => {
    const compiled = compileSql('UPDATE t SET x = :x WHERE id = :id AND x <> :x', 'mysql');
    expect(compiled.text).toBe('UPDATE t SET x = ? WHERE id = ? AND x <> ?');
    expect(compiled.order).toEqual(['x', 'id', 'x']);
  });

  it('leaves casts, strings, quoted identifiers and comments alone', () => {
    const sql = `SELECT :v::int, ':no', 'it''s :no', "col:no", $$ :no $$, $t$ :no $t$ -- :no
    /* :no */ FROM t WHERE c = :yes`;
    const compiled = compileSql(sql, 'postgres');
    expect(compiled.names).toEqual(['v', 'yes']);
    expect(compiled.text).toContain('$1::int');
    expect(compiled.text).toContain("'it''s :no'");
    expect(compiled.text).toContain('c = $2');
  });

  it('knows MySQL backslash escapes, backticks and hash comments', () => {
    const sql = "SELECT 'a\\':no', `x:no` # :no\n FROM t WHERE c = :yes";
    const compiled = compileSql(sql, 'mysql');
    expect(compiled.names).toEqual(['yes']);
    expect(compiled.text).toBe("SELECT 'a\\':no', `x:no` # :no\n FROM t WHERE c = ?");
  });

  it('finds no parameters in SQL without any', () => {
    expect(compileSql('SELECT 1', 'postgres')).toEqual({ text: 'SELECT 1', order: [], names: [] });
  });
});
