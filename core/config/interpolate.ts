import type { PathSegment, Problems } from './problems.js';

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace `${VAR}` and `${VAR:-default}` in every string value (keys are left alone); `$${` is a
 * literal `${`. As in the shell, `:-` also applies when the variable is set but empty. A variable
 * that is unset with no default is a problem reported at its YAML path.
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv, problems: Problems, path: PathSegment[] = []): unknown {
  if (typeof value === 'string') return interpolateString(value, env, problems, path);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}

function interpolateString(s: string, env: NodeJS.ProcessEnv, problems: Problems, path: PathSegment[]): string {
  if (!s.includes('${')) return s;
  return s.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return '${';
    const v = env[name];
    if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
    if (v === undefined) {
      problems.add(path, `environment variable ${name} is not set (write \${${name}:-} to allow it to be empty)`);
      return '';
    }
    return v;
  });
}
