/** No secret reaches a client or a log; a bad option value is reported at its YAML path. */
import { formatPath } from '../config/problems.js';
import type { JsonSchema } from '../contract/provider.js';
import { assertNoSecret, ConformanceError } from './assertions.js';
import type { Check } from './check.js';
import { postChat, streamChat } from './client.js';
import { chatBody } from './context.js';
import { kitConfig, prepareWith } from './switchboard.js';

export const secretsCheck: Check = {
  id: 'secrets',
  title: 'no credential appears in an error body or a log line, even when the upstream echoes it',
  async run(ctx) {
    const { secrets } = ctx.settings;
    const bodies = [...ctx.errorBodies];
    if (ctx.upstream && !ctx.upstream.unsupported?.status) {
      // Upstreams do echo keys in their errors ("Incorrect API key provided: sk-...").
      for (const status of [401, 400, 500]) {
        for (const secret of secrets) {
          ctx.upstream.next({ kind: 'status', status, message: `the key ${secret} is not valid here` });
          bodies.push((await postChat(ctx.sb.origin, chatBody(ctx))).text);
          ctx.upstream.next({ kind: 'status', status, message: `the key ${secret} is not valid here` });
          bodies.push((await streamChat(ctx.sb.origin, chatBody(ctx))).text);
          await ctx.sb.app.switchboard.admin.reset(ctx.sb.handle);
        }
      }
    }
    bodies.forEach((b, i) => assertNoSecret(b, secrets, `client error body ${i + 1} of ${bodies.length} (${b.slice(0, 80)}…)`));
    const log = ctx.sb.logText();
    const at = secrets.find((s) => log.includes(s));
    if (at) {
      const line = log.split('\n').find((l) => l.includes(at)) ?? '';
      assertNoSecret(line, secrets, `a log line (${line.replace(at, '<secret>').slice(0, 200)})`);
    }
  },
};

/** A value of the wrong type for the first option whose schema names a type. */
export function badOptionFor(schema: JsonSchema): { key: string; value: unknown } | undefined {
  const props = (schema.properties ?? {}) as Record<string, { type?: string }>;
  const wrong: Record<string, unknown> = { string: 12345, integer: 'not-a-number', number: 'not-a-number', boolean: 'yes', array: 'not-a-list', object: 'not-an-object' };
  for (const [key, p] of Object.entries(props)) {
    if (typeof p?.type === 'string' && p.type in wrong) return { key, value: wrong[p.type] };
  }
  return undefined;
}

export const optionsCheck: Check = {
  id: 'options',
  title: 'a bad option value stops start-up with its YAML path',
  async run(ctx) {
    const plugin = ctx.plugin as { optionsSchema?: JsonSchema };
    const bad = ctx.settings.badOption ?? badOptionFor(plugin.optionsSchema ?? {}) ?? { key: 'notAnOptionOfThisPlugin', value: true };
    const path = formatPath(['providers', 0, bad.key]);
    let message: string | undefined;
    try {
      await prepareWith(ctx.plugin, kitConfig({ ...ctx.entry, [bad.key]: bad.value }));
    } catch (err) {
      message = (err as Error).message;
    }
    if (message === undefined) throw new ConformanceError(`${path}: ${JSON.stringify(bad.value)} was accepted: start-up raised no error`);
    if (!message.includes(path)) throw new ConformanceError(`the start-up error for ${path}: ${JSON.stringify(bad.value)} does not name ${path}: ${message}`);
  },
};
