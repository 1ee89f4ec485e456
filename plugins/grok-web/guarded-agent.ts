import { lookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isPrivateAddress } from './private-address.js';

/** The error a refused connection fails with; `loadUserImage` turns it into the client's 400. */
const refused = (host: string, why: string) => Object.assign(new Error(`refused: ${host} ${why}`), { code: 'EPRIVATE' });

/** DNS, with every answer checked: a name with any private address is refused before connecting. */
function guardedLookup(blocked: (ip: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 4);
      if (addresses.some((a) => blocked(a.address))) return callback(refused(hostname, 'resolves to a private address'), '', 4);
      // node's net wants the single-address form unless it asked for all of them (autoSelectFamily)
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * An undici agent that never talks to a private, loopback or link-local address (private-address.ts).
 * Three checks, because each covers what the others cannot: an IP literal is refused before
 * connecting (net skips `lookup` for literals, so a guarded lookup alone misses
 * `http://[::ffff:7f00:1]/`); a name is refused when any of its DNS answers is private, at
 * connect time (so a rebinding after an earlier check does not help); and the socket's remote
 * address, the one actually connected to, is checked before the request is sent. `blocked` is
 * replaceable for tests, which have no public address to connect to.
 */
export function guardedAgent(allowPrivate: boolean, blocked: (ip: string | undefined) => boolean = isPrivateAddress): Agent {
  if (allowPrivate) return new Agent();
  const connect = buildConnector({ lookup: guardedLookup(blocked) });
  return new Agent({
    connect(opts, callback) {
      // undici passes IPv6 literals without their brackets
      if (isIP(opts.hostname) && blocked(opts.hostname)) {
        callback(refused(opts.hostname, 'is a private address'), null);
        return;
      }
      connect(opts, (err, socket) => {
        if (err) return callback(err, null);
        if (blocked(socket.remoteAddress)) {
          socket.destroy();
          return callback(refused(opts.hostname, 'connected to a private address'), null);
        }
        callback(null, socket);
      });
    },
  });
}
