// Reading a request body and writing a reply, within the server's limits:
// every failure a client can cause becomes an HttpError with the status and
// message it gets back, never an exception that reaches the orchestrator.

import http from 'node:http';

/** A body this much over the limit is not even drained: the connection is cut. */
const DRAIN_FACTOR = 16;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type Reply = { status: number; json: unknown } | { status: number; text: string; contentType: string };

export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function readBody(request: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit * DRAIN_FACTOR) {
    return Promise.reject(new HttpError(413, `request body of ${declared} bytes is over the ${limit}-byte limit`, { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * DRAIN_FACTOR) {
        // Past what is worth draining so the client can read the answer.
        request.pause();
        reject(new HttpError(413, `request body over the ${limit}-byte limit`, { connection: 'close' }));
      }
    });
    request.on('end', () => {
      if (size > limit) reject(new HttpError(413, `request body of ${size} bytes is over the ${limit}-byte limit`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    // The client went away mid-body (it closed, or was timed out): its request, not a failure of the server's.
    request.on('error', () => reject(new HttpError(400, 'request aborted before its body was complete')));
    request.on('close', () => {
      if (!request.complete) reject(new HttpError(400, 'request aborted before its body was complete'));
    });
  });
}

export function send(response: http.ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed || response.writableEnded) return;
  const isJson = 'json' in reply;
  const text = isJson ? JSON.stringify(reply.json) + '\n' : reply.text;
  response.writeHead(reply.status, {
    'content-type': isJson ? 'application/json; charset=utf-8' : reply.contentType,
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(text);
}

export function sendError(response: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  send(response, { status, json: { error: message } }, headers);
}

/** For a client error the http module answers itself, before any request object exists. */
export function rawErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message }) + '\n';
  return (
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}
