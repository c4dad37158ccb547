export type SqlDialect = 'postgres' | 'mysql';

/** A query with its `:name` parameters replaced by the driver's placeholders, in binding order. */
export interface CompiledSql {
  text: string;
  /** The parameter behind each placeholder (`$n` for PostgreSQL, `?` for MySQL), in order. */
  order: string[];
  /** Each parameter once, in order of first use. */
  names: string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;

/**
 * Finds the `:name` parameters of a query and replaces them with positional placeholders, so that
 * values are always bound by the driver and never written into the SQL text. Quoted strings,
 * quoted identifiers, comments, PostgreSQL dollar quotes and `::` casts are left as they are.
 */
export function compileSql(sql: string, dialect: SqlDialect): CompiledSql {
  const order: string[] = [];
  const numbers = new Map<string, number>();
  let out = '';
  let i = 0;
  const copyUntil = (end: number) => {
    out += sql.slice(i, end);
    i = end;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "'" || ch === '"' || (ch === '`' && dialect === 'mysql')) {
      copyUntil(quotedEnd(sql, i, ch, dialect === 'mysql'));
    } else if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      copyUntil(end === -1 ? sql.length : end + 1);
    } else if (ch === '#' && dialect === 'mysql') {
      const end = sql.indexOf('\n', i);
      copyUntil(end === -1 ? sql.length : end + 1);
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      copyUntil(end === -1 ? sql.length : end + 2);
    } else if (ch === '$' && dialect === 'postgres' && dollarTag(sql, i) !== undefined) {
      const tag = dollarTag(sql, i)!;
      const end = sql.indexOf(tag, i + tag.length);
      copyUntil(end === -1 ? sql.length : end + tag.length);
    } else if (ch === ':' && next === ':') {
      copyUntil(i + 2);
    } else if (ch === ':' && next !== undefined && NAME_START.test(next) && sql[i - 1] !== ':') {
      let end = i + 2;
      while (end < sql.length && NAME_PART.test(sql[end]!)) end++;
      const name = sql.slice(i + 1, end);
      order.push(name);
      if (dialect === 'postgres') {
        let n = numbers.get(name);
        if (n === undefined) {
          n = numbers.size + 1;
          numbers.set(name, n);
        }
        out += `$${n}`;
      } else {
        out += '?';
      }
      i = end;
    } else {
      copyUntil(i + 1);
    }
  }
  return { text: out, order, names: [...new Set(order)] };
}

/** Where a quoted run that opens at `start` ends (after its closing quote); a doubled quote stays inside. */
function quotedEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === '\\' && quote !== '`') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** `$tag$` or `$$` at `start`, the opening of a PostgreSQL dollar-quoted string; `$1` is not one. */
function dollarTag(sql: string, start: number): string | undefined {
  const match = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(start, start + 66));
  return match === null ? undefined : match[0];
}
