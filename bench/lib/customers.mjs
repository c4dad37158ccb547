// Customer records shaped like shared/fixtures/customers-10.json, and the W1 mapping of them
// computed independently of the product (quality.md §4): customerId = id, fullName = first + ' ' +
// last, email = lower(trim(email)), totalPence = round(total × 100).

const FIRST = [
  'Jane',
  'George',
  'Amara',
  'Luis',
  'Mei',
  'Oliver',
  'Fatima',
  'Kwame',
  'Sofia',
  'Noah',
  'Zoë',
  'Åsa',
  'Siobhán',
  'Jürgen',
  'Chloé',
  'Ngozi',
];
const LAST = [
  'Smith',
  'Jones',
  'Okafor',
  'García',
  'Chen',
  'Brown',
  'Haddad',
  'Mensah',
  'Rossi',
  'Müller',
  'Nguyễn',
  'Ødegaard',
  "O'Brien",
  'Kowalski',
  'Dubois',
  'Fernández',
];

/** ASCII only: the email's local part is the names with accents stripped, as in the fixture. */
function ascii(s) {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}

/** One record; deterministic in i. */
export function customer(i) {
  const first = FIRST[i % FIRST.length];
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const pence = 100 + ((i * 7919) % 99_900); // 1.00 to 999.99, every cents value occurs
  const day = new Date(Date.UTC(2026, 0, 1) + (i % 3650) * 86_400_000 + (i % 1440) * 60_000);
  return {
    id: 1_000_000_001 + i,
    first_name: first,
    last_name: last,
    email: `  ${ascii(first)}.${ascii(last)}${i}@Example.COM `,
    total: `${Math.floor(pence / 100)}.${String(pence % 100).padStart(2, '0')}`,
    created_at: day.toISOString().replace('.000Z', 'Z'),
  };
}

/**
 * `count` records whose JSON is about `targetBytes` long (when given): every record carries the
 * same-length `notes` text. Returns the records and their JSON text.
 */
export function customers(count, targetBytes) {
  const plain = Array.from({ length: count }, (_, i) => customer(i));
  const plainBytes = Buffer.byteLength(JSON.stringify(plain));
  if (targetBytes === undefined || plainBytes >= targetBytes) return { records: plain, json: JSON.stringify(plain) };
  // ',"notes":""' adds 11 bytes per record before the text itself.
  const perRecord = Math.max(0, Math.floor((targetBytes - plainBytes) / count) - 11);
  const filler = 'Prefers email contact; ships to the billing address; loyalty tier silver. '
    .repeat(Math.ceil(perRecord / 74) + 1)
    .slice(0, perRecord);
  const records = plain.map((r) => ({ ...r, notes: filler }));
  const json = JSON.stringify(records);
  return { records, json };
}

/** The W1 mapping, computed by the bench itself. */
export function expectedMapping(records) {
  return records.map((r) => ({
    customerId: r.id,
    fullName: `${r.first_name} ${r.last_name}`,
    email: r.email.trim().toLowerCase(),
    totalPence: Math.round(Number(r.total) * 100),
  }));
}
