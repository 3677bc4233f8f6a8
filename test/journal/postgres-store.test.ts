import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JournalConflictError,
  StoreCorruptError,
  StoreUnavailableError,
  StoreUrlError,
  StoreVersionError,
} from '../../src/journal/errors.js';
import { openStore } from '../../src/journal/open-store.js';
import { openPostgresStore, type PostgresJournalStore } from '../../src/journal/postgres-store.js';
import {
  createRequest,
  describeJournalStoreConformance,
  nextRequest,
} from '../conformance/journal-store.js';

const HOST = '127.0.0.1';
const PORT = 5432;
const CLUSTER_CONFIG = '/etc/postgresql';

function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function ensurePostgresRunning(): Promise<void> {
  if (await acceptsTcp(HOST, PORT)) return;
  const versions = existsSync(CLUSTER_CONFIG) ? readdirSync(CLUSTER_CONFIG) : [];
  for (const version of versions) {
    try {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        stdio: 'ignore',
      });
    } catch {
      // Already running or not startable; the probe below decides.
    }
  }
  for (let i = 0; i < 60; i++) {
    if (await acceptsTcp(HOST, PORT)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `PostgreSQL does not accept connections on ${HOST}:${PORT}, even after trying ` +
      `pg_ctlcluster start (clusters found: ${versions.join(', ') || 'none'}). ` +
      'Start a server with a database "test" and trust auth for local TCP to run these tests.',
  );
}

async function findUrl(): Promise<string> {
  const failures: string[] = [];
  for (const user of ['postgres', 'root']) {
    const url = `postgres://${user}@${HOST}:${PORT}/test`;
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      return url;
    } catch (error) {
      failures.push(`${user}: ${(error as Error).message}`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  throw new Error(`cannot connect to database "test" on ${HOST}:${PORT} (${failures.join('; ')})`);
}

let url = '';
let admin: postgres.Sql | undefined;
const prefix = `sy_test_${process.pid}_${randomBytes(3).toString('hex')}`;
let counter = 0;
const freshSchema = (): string => `${prefix}_${counter++}`;

beforeAll(async () => {
  await ensurePostgresRunning();
  url = await findUrl();
  admin = postgres(url, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  if (admin === undefined) return;
  const leftovers = await admin<{ name: string }[]>`
    SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE ${`${prefix}%`}`;
  for (const { name } of leftovers) await admin.unsafe(`DROP SCHEMA "${name}" CASCADE`);
  await admin.end({ timeout: 5 });
});

async function dropSchema(schema: string): Promise<void> {
  await requireAdmin().unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

describeJournalStoreConformance('postgres (group commit)', async () => {
  const schema = freshSchema();
  const store = await openPostgresStore(url, { schema, groupCommit: true });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describeJournalStoreConformance('postgres (transaction per append)', async () => {
  const schema = freshSchema();
  const store = await openPostgresStore(url, { schema, groupCommit: false });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
});

describe('PostgresJournalStore', () => {
  it("a schema holding another application's tables is STORE_CORRUPT, not an internal error", async () => {
    const schema = freshSchema();
    await requireAdmin().unsafe(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".runs (x int)`);
    const error = await openPostgresStore(url, { schema })
      .then((store) => store.listRuns().finally(() => store.close()))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreCorruptError);
    await dropSchema(schema);
  });

  it('an unknown server parameter in the URL is a typed error', async () => {
    const error = await openStore(`${url}?no_such_parameter=1`).catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('STORE_UNAVAILABLE');
    expect((error as Error).message).toContain('no_such_parameter');
  });

  it('a refused connection is StoreUnavailableError naming host:port', async () => {
    const error = await openPostgresStore('postgres://postgres@127.0.0.1:1/test').catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
    expect((error as StoreUnavailableError).message).toContain('127.0.0.1:1');
    expect((error as StoreUnavailableError).message).toContain('ECONNREFUSED');
  });

  it('an unknown database is StoreUnavailableError', async () => {
    const missing = url.replace(/\/test$/, '/no_such_db_switchyard');
    await expect(openPostgresStore(missing)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a schema name that is not a plain identifier is refused', async () => {
    await expect(openPostgresStore(url, { schema: 'x"; DROP TABLE y; --' })).rejects.toBeInstanceOf(
      StoreUrlError,
    );
  });

  it('writers on two separate pools: exactly one wins each seq', async () => {
    const schema = freshSchema();
    const a = await openPostgresStore(url, { schema });
    const b = await openPostgresStore(url, { schema });
    try {
      await a.append(createRequest('r'));
      for (let seq = 1; seq <= 10; seq++) {
        const results = await Promise.allSettled([
          a.append(nextRequest('r', seq, 1, { prevHash: 'a' })),
          b.append(nextRequest('r', seq, 1, { prevHash: 'b' })),
        ]);
        expect(results.filter((result) => result.status === 'fulfilled').length).toBe(1);
        const lost = results.find((result) => result.status === 'rejected');
        expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(JournalConflictError);
      }
      expect((await b.read('r')).map((event) => event.seq)).toEqual(
        Array.from({ length: 11 }, (_, i) => i),
      );
    } finally {
      await a.close();
      await b.close();
      await dropSchema(schema);
    }
  });

  it('reopening an existing schema keeps its data', async () => {
    const schema = freshSchema();
    const first = await openPostgresStore(url, { schema });
    await first.append(createRequest('r'));
    await first.close();
    const second = await openPostgresStore(url, { schema });
    expect((await second.getRun('r'))?.headSeq).toBe(0);
    await second.close();
    await dropSchema(schema);
  });

  it('a schema from a newer version is refused with StoreVersionError', async () => {
    const schema = freshSchema();
    await (await openPostgresStore(url, { schema })).close();
    await requireAdmin().unsafe(
      `UPDATE "${schema}".meta SET value = '99' WHERE key = 'schema_version'`,
    );
    await expect(openPostgresStore(url, { schema })).rejects.toBeInstanceOf(StoreVersionError);
    await dropSchema(schema);
  });

  it('openStore accepts postgres://, postgresql://, postgres:postgres://, ?schema=', async () => {
    for (const form of [url, url.replace(/^postgres:/, 'postgresql:'), `postgres:${url}`]) {
      const schema = freshSchema();
      const store = (await openStore(`${form}?schema=${schema}`)) as PostgresJournalStore;
      expect(store.kind).toBe('postgres');
      expect(store.schema).toBe(schema);
      await store.append(createRequest('r'));
      await store.close();
      await dropSchema(schema);
    }
  });
});

function requireAdmin(): postgres.Sql {
  if (!admin) throw new Error('the admin connection was not opened (beforeAll failed)');
  return admin;
}
