import { readFileSync } from 'node:fs';

/** Nearest-rank percentile of an unsorted array of numbers (sorts a copy); undefined when empty. */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const MB = 1024 * 1024;

export function fmt(value, digits = 1) {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  if (typeof value === 'string') return value;
  return value.toFixed(digits);
}

/** A plain-text table: first row is the header; numbers right-aligned, text left-aligned. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((cell, i) => {
        const s = String(cell);
        return /^[-+]?[\d.]+( ?[%x×])?$/.test(s) || s === '-' ? s.padStart(widths[i]) : s.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  return out.join('\n');
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; undefined once it is gone. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12] are utime, stime (fields 14 and 15 of the full line), in clock ticks
    // (USER_HZ, 100 on every Linux this runs on).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
