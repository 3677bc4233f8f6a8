import { resolve } from 'node:path';
import type { JournalStore } from '../core/ports.js';
import { StoreUrlError } from './errors.js';
import { MemoryJournalStore } from './memory-store.js';
import { openSqliteStore, type SqliteDurability } from './sqlite-store.js';

export const DEFAULT_STORE_URL = 'sqlite:.switchyard/journal.db';

export interface OpenStoreOptions {
  /** Base for relative sqlite: paths. Default process.cwd(). */
  cwd?: string;
}

const DURABILITIES: readonly SqliteDurability[] = ['process', 'power-loss'];

/**
 * Opens the store a URL names: `memory:`, `sqlite:PATH[?durability=process|power-loss]` or a
 * PostgreSQL URL (`postgres://…`, `postgresql://…`, `postgres:postgres://…`, with an optional
 * `schema=` query parameter). The Postgres driver is imported only when a Postgres URL is given.
 */
export async function openStore(
  url: string,
  options: OpenStoreOptions = {},
): Promise<JournalStore> {
  if (url === 'memory:') return new MemoryJournalStore();
  if (url.startsWith('sqlite:')) return openSqliteUrl(url, options);
  const postgresUrl = url.startsWith('postgres:postgres') ? url.slice('postgres:'.length) : url;
  if (/^postgres(ql)?:\/\//.test(postgresUrl)) return openPostgresUrl(url, postgresUrl);
  if (url.startsWith('memory:')) throw new StoreUrlError(url, 'has text after memory:');
  throw new StoreUrlError(url, 'is not a form Switchyard knows');
}

function openSqliteUrl(url: string, options: OpenStoreOptions): JournalStore {
  const rest = url.slice('sqlite:'.length);
  const query = rest.indexOf('?');
  const path = query === -1 ? rest : rest.slice(0, query);
  if (path === '') throw new StoreUrlError(url, 'has no file path after sqlite:');
  // SQLite's own spellings would otherwise become files literally named ':memory:' or 'file:x.db'.
  if (path === ':memory:') throw new StoreUrlError(url, 'names an in-memory database; use memory:');
  if (path.startsWith('file:'))
    throw new StoreUrlError(url, 'uses a SQLite URI; write sqlite:PATH');
  if (path.startsWith('//')) {
    throw new StoreUrlError(
      url,
      'uses sqlite://; write sqlite:PATH (sqlite:/abs/path for an absolute one)',
    );
  }
  let durability: SqliteDurability = 'process';
  if (query !== -1) {
    for (const [key, value] of new URLSearchParams(rest.slice(query + 1))) {
      if (key !== 'durability') {
        throw new StoreUrlError(url, `has unknown parameter ${key} (only durability is accepted)`);
      }
      if (!(DURABILITIES as readonly string[]).includes(value)) {
        throw new StoreUrlError(url, `has durability=${value}; use process or power-loss`);
      }
      durability = value as SqliteDurability;
    }
  }
  return openSqliteStore(resolve(options.cwd ?? process.cwd(), path), { durability });
}

async function openPostgresUrl(url: string, postgresUrl: string): Promise<JournalStore> {
  let parsed: URL;
  try {
    parsed = new URL(postgresUrl);
  } catch {
    throw new StoreUrlError(url, 'is not a valid PostgreSQL URL');
  }
  // `schema` is ours, not a server parameter: take it out before the driver sees the URL.
  const schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const { openPostgresStore } = await import('./postgres-store.js');
  return openPostgresStore(parsed.toString(), schema === undefined ? {} : { schema });
}
