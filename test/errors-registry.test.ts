import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../core/errors/registry.js';

describe('error registry', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.keys(ERRORS))('%s is documented in docs/errors.md', (id) => {
    expect(doc).toContain(`\`${id}\``);
  });

  it('documents each HTTP error with its status and code', () => {
    for (const [id, spec] of Object.entries(ERRORS) as [string, { status?: number; code?: string | null }][]) {
      if (!spec.status || id === 'SWB_ERR_UPSTREAM_REJECTED') continue;
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${id}\``));
      expect(row, id).toContain(`| ${spec.status} |`);
      if (spec.code) expect(row, id).toContain(`| ${spec.code} |`);
    }
  });

  it('documents no id that does not exist', () => {
    const mentioned = new Set(doc.match(/SWB_ERR_[A-Z_]+/g));
    for (const id of mentioned) expect(Object.keys(ERRORS)).toContain(id);
  });
});
