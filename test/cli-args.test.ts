/** Command-line flags and environment overrides, in their order of precedence. */
import { describe, expect, it } from 'vitest';
import { parseCli } from '../core/cli-args.js';

describe('parseCli', () => {
  it('flags beat HOST/PORT, which beat the Grok3API server names, which beat the file', () => {
    expect(parseCli([], {})).toMatchObject({ host: undefined, port: undefined, configPath: undefined });
    expect(parseCli([], { GROK_SERVER_HOST: '0.0.0.0', GROK_SERVER_PORT: '9000' })).toMatchObject({ host: '0.0.0.0', port: 9000 });
    expect(parseCli([], { HOST: '127.0.0.1', PORT: '8001', GROK_SERVER_HOST: '0.0.0.0', GROK_SERVER_PORT: '9000' })).toMatchObject({ host: '127.0.0.1', port: 8001 });
    expect(parseCli(['--host', '::1', '--port', '7000'], { HOST: '127.0.0.1', PORT: '8001' })).toMatchObject({ host: '::1', port: 7000 });
  });

  it('names the source of a bad port', () => {
    expect(() => parseCli([], { GROK_SERVER_PORT: 'eighty' })).toThrow(/from GROK_SERVER_PORT/);
    expect(() => parseCli([], { PORT: '70000' })).toThrow(/from PORT/);
    expect(() => parseCli(['--port=99999'], {})).toThrow(/from --port/);
  });

  it('reads the config path from SWITCHBOARD_CONFIG unless --config is given', () => {
    expect(parseCli([], { SWITCHBOARD_CONFIG: '/etc/sb.yaml' }).configPath).toBe('/etc/sb.yaml');
    expect(parseCli(['-c', 'x.yaml'], { SWITCHBOARD_CONFIG: '/etc/sb.yaml' }).configPath).toBe('x.yaml');
  });

  it('regression: LOG_LEVEL and --log-level are understood, the flag beating the env', () => {
    expect(parseCli([], {}).logLevel).toBeUndefined();
    expect(parseCli([], { LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(parseCli(['--log-level', 'warn'], { LOG_LEVEL: 'debug' }).logLevel).toBe('warn');
    expect(() => parseCli([], { LOG_LEVEL: 'loud' })).toThrow(/invalid log level "loud" \(from LOG_LEVEL\): expected one of fatal, error, warn, info, debug, trace, silent/);
    expect(() => parseCli(['--log-level=verbose'], {})).toThrow(/from --log-level/);
  });

  it('regression: --version and -v are understood', () => {
    expect(parseCli(['--version'], {}).version).toBe(true);
    expect(parseCli(['-v'], {}).version).toBe(true);
    expect(parseCli([], {}).version).toBe(false);
  });

  it('--trust-proxy and SWITCHBOARD_TRUST_PROXY override server.trustProxy; unset leaves the file to decide', () => {
    expect(parseCli([], {}).trustProxy).toBeUndefined();
    expect(parseCli([], { SWITCHBOARD_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(parseCli([], { SWITCHBOARD_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(parseCli(['--trust-proxy'], { SWITCHBOARD_TRUST_PROXY: 'false' }).trustProxy).toBe(true);
    expect(() => parseCli([], { SWITCHBOARD_TRUST_PROXY: 'maybe' })).toThrow(/invalid SWITCHBOARD_TRUST_PROXY "maybe": expected true or false/);
  });
});
