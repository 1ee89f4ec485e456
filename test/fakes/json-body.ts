import type { IncomingMessage } from 'node:http';

/**
 * Read a request's whole body and hand it over as a JSON object: undefined when the body is
 * empty, not JSON, or not an object (a fake answers that the way its upstream would); the raw
 * text comes along for fakes that tell those cases apart, and the bytes for bodies that are not
 * text (multipart uploads).
 */
export function onJsonBody(req: IncomingMessage, handle: (body: Record<string, unknown> | undefined, raw: string, bytes: Buffer) => void): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const bytes = Buffer.concat(parts);
    const raw = bytes.toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : undefined;
      body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    handle(body, raw, bytes);
  });
}
