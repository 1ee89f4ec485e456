import { readFileSync } from 'node:fs';

/**
 * Switchboard's version, from its package.json: one folder up from the sources (`core/`), two from
 * the build (`dist/core/`). Read only when asked (`--version`), so start-up reads nothing extra.
 */
export function switchboardVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'switchboard' && pkg.version) return pkg.version;
    } catch {
      // not at this level: try the next
    }
  }
  return 'unknown';
}
