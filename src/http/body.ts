import type { IncomingMessage } from 'node:http';
import { HttpError } from './respond.js';

/**
 * Reads the whole request body, refusing with 413 as soon as it exceeds `maxBytes` (from the
 * Content-Length header when there is one, else while streaming), so an oversized body is never
 * held in memory.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, 'payload_too_large', `body exceeds WEBHOOK_MAX_BYTES (${maxBytes} bytes)`, { maxBytes }, { connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
