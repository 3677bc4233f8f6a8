import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_STORE_URL,
  MemoryJournalStore,
  openStore,
  SqliteJournalStore,
  StoreUrlError,
} from '../../src/journal/index.js';
import { createRequest } from '../conformance/journal-store.js';

// Records whether anything imports the Postgres driver: the default path must not.
const loaded = vi.hoisted(() => ({ postgres: false }));
vi.mock('postgres', async (importOriginal) => {
  loaded.postgres = true;
  return importOriginal();
});

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'switchyard-open-'));
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('openStore', () => {
  it('memory: opens an empty memory store', async () => {
    const store = await openStore('memory:');
    expect(store).toBeInstanceOf(MemoryJournalStore);
    expect(store.kind).toBe('memory');
    await store.close();
  });

  it('the default URL is a SQLite file under .switchyard/ in the working directory', async () => {
    expect(DEFAULT_STORE_URL).toBe('sqlite:.switchyard/journal.db');
    const store = await openStore(DEFAULT_STORE_URL, { cwd });
    expect(store).toBeInstanceOf(SqliteJournalStore);
    await store.append(createRequest('r'));
    await store.close();
    expect(existsSync(join(cwd, '.switchyard', 'journal.db'))).toBe(true);
  });

  it('sqlite:PATH resolves against cwd; absolute paths stay absolute', async () => {
    const relative = (await openStore('sqlite:sub/a.db', { cwd })) as SqliteJournalStore;
    expect(relative.file).toBe(join(cwd, 'sub', 'a.db'));
    expect(relative.durability).toBe('process');
    await relative.close();
    const absolutePath = join(cwd, 'b.db');
    const absolute = (await openStore(`sqlite:${absolutePath}`, {
      cwd: '/',
    })) as SqliteJournalStore;
    expect(absolute.file).toBe(absolutePath);
    await absolute.close();
  });

  it('sqlite:PATH?durability=power-loss selects synchronous FULL', async () => {
    const store = (await openStore('sqlite:c.db?durability=power-loss', {
      cwd,
    })) as SqliteJournalStore;
    expect(store.durability).toBe('power-loss');
    expect(store.settings().synchronous).toBe(2);
    await store.close();
    const explicit = (await openStore('sqlite:c.db?durability=process', {
      cwd,
    })) as SqliteJournalStore;
    expect(explicit.settings().synchronous).toBe(1);
    await explicit.close();
  });

  it.each([
    ['', /not a form/],
    ['journal.db', /not a form/],
    ['mysql://localhost/db', /not a form/],
    ['memory:extra', /text after memory:/],
    ['sqlite:', /no file path/],
    ['sqlite:?durability=process', /no file path/],
    ['sqlite://host/x.db', /sqlite:\/\//],
    ['sqlite:x.db?durability=fast', /durability=fast/],
    ['sqlite:x.db?mode=ro', /unknown parameter mode/],
    ['postgres://[bad', /not a valid PostgreSQL URL/],
    ['sqlite::memory:', /use memory:/],
    ['sqlite:file:x.db', /SQLite URI/],
  ])('refuses %j with StoreUrlError listing the accepted forms', async (url, problem) => {
    const error = await openStore(url, { cwd }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUrlError);
    expect((error as StoreUrlError).code).toBe('STORE_URL_INVALID');
    expect((error as StoreUrlError).message).toMatch(problem);
    expect((error as StoreUrlError).hint).toMatch(/memory:.*sqlite:PATH.*postgres:\/\//);
  });

  it('never loads the Postgres driver for memory: or sqlite: URLs', () => {
    expect(loaded.postgres).toBe(false);
  });
});
