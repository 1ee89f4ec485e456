/**
 * A statsig signer such as a grok-web operator runs (`statsig: { signerUrl }`): `POST /sign` with
 * `{"method","path","environment":{"metaContent"}}` answers `{"x-statsig-id": <base64 of 70
 * bytes>}`, a value that names what it signed (so a test can tell which request carried which).
 * `failNext(n)` makes the next n requests 500s; every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SignRequest {
  method?: string;
  path?: string;
  environment?: { metaContent?: string };
}

export interface FakeSigner {
  /** `http://127.0.0.1:<port>/sign` */
  url: string;
  requests: SignRequest[];
  failNext(n: number): void;
  close(): Promise<void>;
}

/** The value the fake signs `method path` with, on its `n`th signature (70 bytes, base64). */
export function signedValue(method: string, path: string, n: number): string {
  return Buffer.from(`${method} ${path} #${n}`.padEnd(70, '.').slice(0, 70)).toString('base64');
}

export async function startFakeSigner(): Promise<FakeSigner> {
  const requests: SignRequest[] = [];
  let failing = 0;
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: SignRequest = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8')) as SignRequest;
      } catch {
        // recorded as empty
      }
      requests.push(body);
      if (req.method !== 'POST' || req.url !== '/sign' || failing > 0) {
        if (failing > 0) failing--;
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"signer down"}');
        return;
      }
      const value = signedValue(String(body.method), String(body.path), requests.length);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ 'x-statsig-id': value }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sign`,
    requests,
    failNext(n) {
      failing = n;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
