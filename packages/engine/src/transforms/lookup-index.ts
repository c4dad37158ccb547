/** One row of a cross-reference lookup table (EngineServices.lookupTables gives them). */
export interface LookupIndexRow {
  left: string;
  right: string;
}

export type LookupDirection = 'left_to_right' | 'right_to_left';

/**
 * A lookup table ready for lookups: one Map per direction and case mode, built on first use, so a
 * map over thousands of records looks each value up in constant time. Left values are unique;
 * for right→left the first row with the value wins, as for repeated lefts ignoring case.
 */
export class LookupIndex {
  readonly #rows: readonly LookupIndexRow[];
  readonly #maps = new Map<string, Map<string, string>>();

  constructor(rows: readonly LookupIndexRow[]) {
    this.#rows = rows;
  }

  get size(): number {
    return this.#rows.length;
  }

  /** The value on the other side of the row whose `direction`'s source side is `key`; undefined for a miss. */
  find(key: string, direction: LookupDirection, ignoreCase: boolean): string | undefined {
    return this.#map(direction, ignoreCase).get(ignoreCase ? key.toLowerCase() : key);
  }

  #map(direction: LookupDirection, ignoreCase: boolean): Map<string, string> {
    const id = `${direction}:${ignoreCase}`;
    let map = this.#maps.get(id);
    if (map === undefined) {
      map = new Map();
      for (const row of this.#rows) {
        const [from, to] = direction === 'left_to_right' ? [row.left, row.right] : [row.right, row.left];
        const key = ignoreCase ? from.toLowerCase() : from;
        if (!map.has(key)) map.set(key, to);
      }
      this.#maps.set(id, map);
    }
    return map;
  }
}
