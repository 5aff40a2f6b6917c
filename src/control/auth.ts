// Who is asking: the bearer token (from control.token) that every request
// must carry, and the command source it reports for the event log.

import type http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CommandSource } from '../contract/events.js';
import { describeValue, HttpError } from './httpExchange.js';

export const SOURCE_HEADER = 'x-megatest-source';
const HEADER_SOURCES: readonly CommandSource[] = ['api', 'cli', 'key'];

export function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export type Authorization = 'ok' | 'missing' | 'malformed' | 'wrong';

/**
 * 'missing' and 'malformed' -> 401, 'wrong' -> 403. A header that is there
 * but not `Bearer TOKEN` (another scheme, `Bearer TOKEN extra`) is malformed,
 * not missing: "missing bearer token" sent the client to look for a header it
 * had sent. Compared as digests so the time taken says nothing about the token.
 */
export function authorize(header: string | undefined, tokenDigest: Buffer): Authorization {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) return 'malformed';
  return timingSafeEqual(digest(match[1]!), tokenDigest) ? 'ok' : 'wrong';
}

/** The X-Megatest-Source header: the CLI and the console's keys say who sent the command; anything else is the API. */
export function sourceFrom(request: http.IncomingMessage): CommandSource {
  const raw = request.headers[SOURCE_HEADER];
  if (raw === undefined) return 'api';
  const value = (Array.isArray(raw) ? raw.join(',') : raw).trim().toLowerCase();
  if (!(HEADER_SOURCES as readonly string[]).includes(value)) {
    throw new HttpError(400, `X-Megatest-Source ${describeValue(value)}: expected cli or key (or leave it out for api)`);
  }
  return value as CommandSource;
}
