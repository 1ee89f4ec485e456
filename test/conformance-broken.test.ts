/**
 * The kit catches what it exists to catch: each flaw of the broken fixture fails its check with a
 * message that says what went wrong, and the same provider without a flaw passes every check
 * (so the failures come from the flaws, not from the fixture). The suite runs in memory
 * (runConformance), so the failures are asserted here rather than reported as red tests.
 */
import { describe, expect, it } from 'vitest';
import { fakeUpstream, runConformance, type CheckResult } from '../core/testing/index.js';
import { brokenProvider, type Flaw } from './fixtures/broken-provider/index.js';
import { openaiProtocol } from './fixtures/broken-provider/openai-protocol.js';

const run = (flaw: Flaw, only?: string[]) =>
  runConformance(brokenProvider, {
    model: 'kit-model',
    upstream: () => fakeUpstream(openaiProtocol, { basePath: '/v1' }),
    options: (up) => ({ baseUrl: up!.url, flaw }),
    only,
  });

const byId = (results: CheckResult[], id: string) => results.find((r) => r.id === id)!;

describe('the conformance kit on a broken provider', () => {
  it('passes every check on the provider without a flaw', async () => {
    const results = await run('none');
    expect(results.filter((r) => r.status !== 'passed')).toEqual([]);
    expect(results.map((r) => r.id)).toEqual(expect.arrayContaining(['fold', 'chunk-order', 'abort', 'client-error', 'secrets', 'options']));
  });

  it('fails chunk-order when finish_reason comes before the last content chunk, naming both chunks', async () => {
    const r = byId(await run('early-finish', ['chunk-order', 'fold']), 'chunk-order');
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^the provider's chat\(\): chunk 7 carries finish_reason 'stop' but chunk 8 follows it with content ' good\.': finish_reason must come last$/);
  });

  it('fails abort when the provider keeps the upstream request open after the client left', async () => {
    const r = byId(await run('ignores-abort', ['abort']), 'abort');
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^the upstream request stayed open 1\.\d s after the client left \(limit 1\.0 s\)/);
  });

  it('fails secrets when the provider logs the Authorization header, without printing the secret itself', async () => {
    const r = byId(await run('logs-secret', ['fold', 'secrets']), 'secrets');
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^a log line \(.*"authorization":"Bearer <secret>".*\) contains the credential sk-…[0-9a-z]{4}·[0-9a-f]{4} in full$/);
    expect(r.message).not.toContain('sk-conformance-secret');
  });

  it("fails client-error when a 400 is blamed on the credential", async () => {
    const r = byId(await run('blames-400', ['client-error', 'status-401']), 'client-error');
    expect(r.status).toBe('failed');
    expect(r.message).toBe("a 400 (the client's own mistake) was classified as 'credential_invalid', expected 'request_invalid'");
  });
});
