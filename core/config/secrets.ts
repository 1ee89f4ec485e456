import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CredentialEntry } from './types.js';
import type { PathSegment, Problems } from './problems.js';

type SecretItem = string | { value?: string; key?: string; file?: string; env?: string; name?: string; tier?: string; tags?: string[]; note?: string };

/**
 * Resolve a secret list (already schema-checked) into entries: inline strings, `{ file }` (one
 * secret per line, `#` comments), `{ env: NAME }` (comma or newline separated, or the path of
 * such a file, relative to the config's folder). Empty entries are dropped so `${TOKEN:-}` can
 * stand for "none". `empty`, when given, collects a description of each source that gave nothing
 * (`GITHUB_TOKEN is not set`), for the warning about a provider left without credentials.
 */
export function resolveSecrets(
  spec: unknown,
  dir: string,
  env: NodeJS.ProcessEnv,
  problems: Problems,
  path: PathSegment[],
  empty: string[] = [],
): CredentialEntry[] {
  if (spec === undefined) return [];
  if (spec === null || (Array.isArray(spec) && spec.length === 0)) {
    empty.push('the list is empty');
    return [];
  }
  const items: SecretItem[] = Array.isArray(spec) ? (spec as SecretItem[]) : [spec as SecretItem];
  const out: CredentialEntry[] = [];
  items.forEach((item, i) => {
    const at = Array.isArray(spec) ? [...path, i] : path;
    const before = out.length;
    const gave = (what: string) => {
      if (out.length === before) empty.push(what);
    };
    if (typeof item === 'string') {
      push(out, item, {});
      gave(Array.isArray(spec) ? `entry ${i} is empty` : 'the value is empty');
      return;
    }
    const { value: inline, key, file, env: envName, ...meta } = item;
    const sources = [inline !== undefined, key !== undefined, file !== undefined, envName !== undefined].filter(Boolean).length;
    if (sources !== 1) {
      // a lone object without a source already failed the schema; say it once
      if (Array.isArray(spec) || sources > 1) problems.add(at, 'give exactly one of value (or key), file or env');
      return;
    }
    const value = inline ?? key;
    if (value !== undefined) {
      push(out, value, meta);
      gave(Array.isArray(spec) ? `entry ${i} is empty` : 'the value is empty');
    } else if (file !== undefined) {
      const text = readSecretFile(resolve(dir, file), problems, [...at, 'file']);
      for (const line of splitLines(text)) push(out, line, {});
      gave(`${file} is empty`);
    } else if (envName !== undefined) {
      const value = (env[envName] ?? '').trim();
      // A single value naming an existing file means "read them from there" (GROK_COOKIES=./cookies.txt).
      const file = value && !/[,\n]/.test(value) ? existingFile(resolve(dir, value)) : undefined;
      if (file) for (const line of splitLines(readSecretFile(file, problems, [...at, 'env']))) push(out, line, {});
      else for (const part of value.split(/[,\n]/)) push(out, part, {});
      gave(env[envName] === undefined ? `${envName} is not set` : file ? `${envName} names ${value}, which is empty` : `${envName} is empty`);
    }
  });
  return out;
}

function push(out: CredentialEntry[], secret: string, meta: Omit<CredentialEntry, 'secret'>): void {
  const s = secret.trim();
  if (s) out.push({ secret: s, ...meta });
}

function readSecretFile(file: string, problems: Problems, path: PathSegment[]): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.add(path, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return '';
  }
}

function existingFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => !l.trim().startsWith('#'));
}
