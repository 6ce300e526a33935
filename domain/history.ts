/** What a record's sync history tells: the kinds of entry, as the API and the web UI show them. Pure. */
export const HISTORY_KINDS = ['created', 'updated', 'queued', 'pulled', 'linked', 'pushed', 'conflict', 'error', 'orphaned', 'excluded', 'sync_disabled', 'sync_enabled', 'previewed', 'adopted', 'unlinked', 'review_excluded', 'review_included'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** The filters a history log offers, each the kinds of entry it shows. */
export const HISTORY_FILTERS = {
  push: ['queued', 'pushed'],
  pull: ['pulled', 'linked', 'orphaned'],
  conflict: ['conflict'],
  failure: ['error'],
} as const satisfies Record<string, readonly HistoryKind[]>;
export type HistoryFilter = keyof typeof HISTORY_FILTERS;
export const HISTORY_FILTER_NAMES = Object.keys(HISTORY_FILTERS) as HistoryFilter[];
