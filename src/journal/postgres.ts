// Entry of the `switchyard/postgres` subpath: the driver loads only for those who import it.
export {
  POSTGRES_SCHEMA_VERSION,
  PostgresJournalStore,
  describePostgresTarget,
  openPostgresStore,
  type PostgresStoreOptions,
} from './postgres-store.js';
