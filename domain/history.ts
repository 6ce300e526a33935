/** What a record's sync history tells: the kinds of entry, as the API and the web UI show them. Pure. */
export const HISTORY_KINDS = ['created', 'updated', 'queued', 'pulled', 'linked', 'pushed', 'conflict', 'error', 'orphaned', 'excluded', 'sync_disabled', 'sync_enabled', 'unlinked', 'review_excluded', 'review_included'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];
