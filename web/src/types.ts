/**
 * The shapes of the API's answers that the UI reads: the types of the API's own contract (api/contract.ts),
 * imported as types only, so nothing of the API's schemas reaches the browser bundle.
 */
export type {
  Account,
  ApiKeyView,
  BulkResult,
  ErrorDetails,
  FieldMeta,
  FieldValue,
  HistoryEntry,
  Integration,
  IntegrationView,
  ListItem,
  LookupEntry,
  Lookups,
  Me,
  PageMeta as ListMeta,
  Permissions,
  Plan,
  RecordJson,
  RecordsMeta,
  RecordTypeMeta,
  Role,
  RunCounts,
  RunDetail,
  RunLog,
  SettingsView,
  SyncRun,
  SyncSettings,
  SyncState,
  SyncSummary,
  SyncView,
  User,
  UserView,
} from '../../api/contract';
export type { FieldKind, RecordType } from '../../domain/records';
/** The request bodies the UI sends, typed by the API's own request schemas (api/schemas.ts). */
export type {
  ConnectionRequest,
  LoginRequest,
  ManageRequest,
  OwnPasswordChangeRequest,
  SettingsRequest,
} from '../../api/schemas';
