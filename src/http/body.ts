import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor() {
    super('request body too large');
  }
}

/** The client went away before its body was complete: its doing, not a server error (nothing to answer, nothing to trace). */
export class RequestAbortedError extends Error {
  constructor() {
    super('the client closed the request before its body was complete');
  }
}

/** Reads the body up to `limit` bytes; a larger one is refused (413) without buffering it whole. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // A request stream fails only when its connection does (ECONNRESET "aborted").
    req.on('error', () => reject(new RequestAbortedError()));
  });
}
