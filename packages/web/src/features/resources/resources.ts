/** A resource the dashboard lists and shows: where its API lives and what to show of it. */
export interface Resource {
  /** The dashboard path and the API path under /api/v1. */
  path: string;
  api: string;
  title: string;
  intro: string;
  empty: string;
  columns: string[];
}

export const RESOURCES: Resource[] = [
  {
    path: '/scripts',
    api: '/scripts',
    title: 'Scripts',
    intro: 'Code that script steps and the script transform run, in a sandbox; each deploy makes a version.',
    empty: 'No scripts yet. Give your first script a name above to create it.',
    columns: ['name', 'language', 'draft_version', 'deployed_version', 'deployed_at'],
  },
  {
    path: '/lookup-tables',
    api: '/lookup-tables',
    title: 'Lookup tables',
    intro: 'Cross-reference tables the map lookup transform reads, both ways.',
    empty: 'No lookup tables yet. Give one a name above, then import its rows as CSV.',
    columns: ['name', 'description', 'row_count', 'updated_at'],
  },
  {
    path: '/caches',
    api: '/caches',
    title: 'Caches',
    intro: 'Payloads cache_add steps stored for cache_load steps to read back.',
    empty: 'No caches yet: a flow with a cache_add step makes one when it runs.',
    columns: ['name', 'scope', 'entries', 'bytes', 'updated_at'],
  },
  {
    path: '/data-pools',
    api: '/data-pools',
    title: 'Data pools',
    intro: 'Values dedupe steps have seen, kept for 90 days.',
    empty: 'No data pools yet. Give one a name above to create it.',
    columns: ['name', 'description', 'values_count', 'updated_at'],
  },
  {
    path: '/notification-groups',
    api: '/notification-groups',
    title: 'Notification groups',
    intro: 'Who notify steps and failure alerts write to.',
    empty: 'No notification groups yet. Create one above.',
    columns: ['name', 'emails', 'updated_at'],
  },
];
