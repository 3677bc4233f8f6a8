import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SpecIssueCode } from '../graph/issues.js';

export type ReadResult =
  { ok: true; text: string } | { ok: false; code: SpecIssueCode; reason: string };

/** Spec and prompt files are text a person wrote; anything larger is a mistake or an attack. */
export const MAX_SPEC_FILE_BYTES = 8 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a UTF-8 file, turning the OS error into a spec issue code and a reason in words. Only
 * regular files are read (a FIFO would block forever, /dev/zero never end), up to a size limit, and
 * invalid UTF-8 is refused rather than silently replaced in what the journal records.
 */
export async function readSpecFile(file: string, notFound: SpecIssueCode): Promise<ReadResult> {
  try {
    const info = await stat(file);
    if (info.isDirectory())
      return { ok: false, code: notFound, reason: 'it is a directory, not a file' };
    if (!info.isFile())
      return { ok: false, code: 'SPEC_FILE_UNREADABLE', reason: 'it is not a regular file' };
    if (info.size > MAX_SPEC_FILE_BYTES) {
      return {
        ok: false,
        code: 'SPEC_FILE_UNREADABLE',
        reason: `it is larger than ${MAX_SPEC_FILE_BYTES} bytes`,
      };
    }
    const bytes = await readFile(file);
    try {
      return { ok: true, text: utf8.decode(bytes) };
    } catch {
      return { ok: false, code: 'SPEC_FILE_UNREADABLE', reason: 'it is not valid UTF-8 text' };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { ok: false, code: notFound, reason: 'no such file' };
    if (code === 'EISDIR')
      return { ok: false, code: notFound, reason: 'it is a directory, not a file' };
    if (code === 'EACCES' || code === 'EPERM') {
      return { ok: false, code: 'SPEC_FILE_UNREADABLE', reason: 'permission denied' };
    }
    return {
      ok: false,
      code: 'SPEC_FILE_UNREADABLE',
      reason: error instanceof Error ? error.message : String(error),
    };
  }
}

/** True when `file` (absolute) is strictly inside `root` (absolute), comparing path text only. */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return (
    relative !== '' &&
    !relative.startsWith(`..${path.sep}`) &&
    relative !== '..' &&
    !path.isAbsolute(relative)
  );
}

/** The path with symlinks resolved, or the path itself when it does not exist (yet). */
export async function realPathOr(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}

/** Same check on the real paths, so a symlink inside the root cannot point outside it. */
export async function isReallyInside(root: string, file: string): Promise<boolean> {
  try {
    return isInside(await realpath(root), await realpath(file));
  } catch {
    return false;
  }
}

/** Root-relative POSIX path: the stable key of a prompt whatever OS the spec was loaded on. */
export function rootKey(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** How a file is named in messages: relative to the working directory when it is below it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
    ? relative
    : file;
}

export const SPEC_EXTENSIONS = ['.yaml', '.yml', '.json'];
