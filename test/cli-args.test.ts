/** Command-line flags and environment overrides, in their order of precedence. */
import { describe, expect, it } from 'vitest';
import { parseCli } from '../core/cli-args.js';

describe('parseCli', () => {
  it('flags beat HOST/PORT, which beat the Grok3API server names, which beat the file', () => {
    expect(parseCli([], {})).toMatchObject({ host: undefined, port: undefined, configPath: 'config.yaml' });
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
});
