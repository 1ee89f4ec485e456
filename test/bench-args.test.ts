/** `npm run bench -- <args>` (bench/args.ts): the three runs and what is refused. */
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../bench/args.js';

describe('parseBenchArgs', () => {
  it('no argument: the normal run', () => {
    expect(parseBenchArgs([])).toEqual({ mode: 'normal', peers: false });
  });

  it('--peers: the normal run, then the peers', () => {
    expect(parseBenchArgs(['--peers'])).toEqual({ mode: 'normal', peers: true });
  });

  it('--soak N and --soak=N: the soak alone, N seconds', () => {
    expect(parseBenchArgs(['--soak', '600'])).toEqual({ mode: 'soak', seconds: 600 });
    expect(parseBenchArgs(['--soak=60'])).toEqual({ mode: 'soak', seconds: 60 });
  });

  it('--help and -h', () => {
    expect(parseBenchArgs(['--help'])).toEqual({ mode: 'help' });
    expect(parseBenchArgs(['-h'])).toEqual({ mode: 'help' });
  });

  it('refuses a soak without seconds, shorter than 30 s, or not a whole number', () => {
    expect(() => parseBenchArgs(['--soak'])).toThrow(/argument missing|usage/);
    expect(() => parseBenchArgs(['--soak', '10'])).toThrow(/>= 30/);
    expect(() => parseBenchArgs(['--soak', '1.5e3'])).toThrow(/whole number/);
    expect(() => parseBenchArgs(['--soak', 'ten'])).toThrow(/whole number/);
  });

  it('refuses both modes at once, unknown options and stray words, with the usage', () => {
    expect(() => parseBenchArgs(['--soak', '60', '--peers'])).toThrow(/pick one/);
    expect(() => parseBenchArgs(['--peer'])).toThrow(/usage: npm run bench/);
    expect(() => parseBenchArgs(['peers'])).toThrow(/usage: npm run bench/);
  });
});
