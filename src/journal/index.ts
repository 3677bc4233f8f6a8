export {
  ACCEPTED_STORE_URLS,
  AppendRequestError,
  JournalConflictError,
  RunNotFoundError,
  StoreClosedError,
  StoreCorruptError,
  StoreUnavailableError,
  StoreUrlError,
  StoreVersionError,
} from './errors.js';
export { MemoryJournalStore } from './memory-store.js';
export {
  SQLITE_SCHEMA_VERSION,
  SqliteJournalStore,
  openSqliteStore,
  type SqliteDurability,
  type SqliteStoreOptions,
  type SqliteStoreSettings,
  type SqliteStoreStats,
} from './sqlite-store.js';
export { DEFAULT_STORE_URL, openStore, type OpenStoreOptions } from './open-store.js';
