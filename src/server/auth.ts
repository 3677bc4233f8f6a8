import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { ServerError, UnauthorizedError } from './errors.js';

/**
 * True when `token` is the server's token, in time that does not depend on where they differ or on
 * their lengths: both sides are hashed to 32 bytes first, then compared with timingSafeEqual.
 */
export function tokenMatches(expected: string, presented: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** True for names and addresses that only reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The host name of a Host header (`127.0.0.1:7777`, `[::1]:7777`, `localhost`). */
function hostOf(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

/**
 * Guards the API. With a token: every request must carry `Authorization: Bearer <token>`. Without
 * one (`--insecure-local`, bound to loopback): any local process may call, but the Host header
 * must name a loopback host too, so a web page that rebinds its DNS name to 127.0.0.1 cannot.
 */
export function apiAuth(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (token === undefined) {
      const host = c.req.header('host') ?? '';
      if (!isLoopbackHost(hostOf(host))) {
        throw new ServerError(
          403,
          'HOST_NOT_ALLOWED',
          `the server runs without a token (--insecure-local) and only answers requests for a loopback host, not '${host}'`,
          { hint: 'use http://127.0.0.1:<port>/ or http://localhost:<port>/' },
        );
      }
      return next();
    }
    const header = c.req.header('authorization');
    if (header === undefined) throw new UnauthorizedError('this endpoint needs a bearer token');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedError('the Authorization header is not `Bearer <token>`');
    if (!tokenMatches(token, match[1] as string)) throw new UnauthorizedError('the token is wrong');
    return next();
  };
}
