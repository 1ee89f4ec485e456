/**
 * `instanceof` that survives two copies of the core in one process: a plugin that imports the
 * TypeScript sources while Switchboard runs its compiled build gets classes of its own, so the
 * check looks for a registry symbol instead of a prototype (as undici brands its errors).
 */
export function branded(name: string): { mark: symbol; is(value: unknown): boolean } {
  const mark = Symbol.for(`switchboard.${name}`);
  return { mark, is: (value) => typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[mark] === true };
}
