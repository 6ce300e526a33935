/**
 * Custom search attributes that make every workflow findable in the Temporal Web UI by the documentation
 * account, record type and record id. Safe to import from workflows, the API, the worker and scripts.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const AccountIdKey = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const RecordTypeKey = defineSearchAttributeKey('RecordType', SearchAttributeType.KEYWORD);
export const RecordIdKey = defineSearchAttributeKey('RecordId', SearchAttributeType.KEYWORD);

/** Set by Temporal on every workflow a Schedule starts: when the action was due. */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export const customSearchAttributes = [AccountIdKey, RecordTypeKey, RecordIdKey] as const;
