import { createRequire } from 'node:module';
import type { Dispatcher as UndiciDispatcher, Pool as UndiciPool, ProxyAgent as UndiciProxyAgent } from 'undici';

// undici's index loads all of undici: fetch, WebSocket, EventSource, the cache, mock and
// snapshot agents, about 110 modules. The core needs two dispatchers and the request API, so it
// loads only their files and installs the API on the dispatchers as undici's index does (the
// same functions, so a plugin importing 'undici' later changes nothing). This saves ~6 MB of
// RSS in every process. test/undici-dispatchers.test.ts checks the files are where it expects.
const require = createRequire(import.meta.url);

const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as typeof UndiciDispatcher;
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
export const ProxyAgent = require('undici/lib/dispatcher/proxy-agent.js') as typeof UndiciProxyAgent;
