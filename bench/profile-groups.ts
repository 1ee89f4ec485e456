/** Self time of a .cpuprofile within load windows, grouped by module, as µs per request (bench/profile.ts). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Window {
  name: string;
  /** Wall clock, epoch ms. */
  from: number;
  to: number;
  requests: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** What each group holds, first match wins; anything unmatched with a URL is "other JS". */
const GROUPS: [string, RegExp][] = [
  ['fastify: routing, hooks, reply, schema validation', /node_modules\/(fastify|find-my-way|avvio|@fastify|fast-json-stringify|ajv|fast-uri)\/|core\/http\/(routes|front-door|route-group|error-handler)/],
  ['body parsing and checks', /core\/http\/json-body/],
  ['auth, CORS, admission hooks', /core\/http\/(auth|cors|admin-guard)|core\/app\.js/],
  ['dispatch, pool, policies', /core\/(dispatch|pool|resilience|routing)\/|node_modules\/cockatiel\//],
  ['provider: openai-compatible', /core\/upstream\/(openai-compatible|credential-headers|http-client|retry-hints|header-value|json-body|direct-response)/],
  ['SSE reading (openai-sse, sse-parser, raw chunks)', /core\/upstream\/(openai-sse|sse-parser)|core\/contract\/raw|core\/canonical\//],
  ['SSE writing and the responder', /core\/http\/(sse-writer|chat-responder|chat-format|drain)|core\/contract\/call-signal/],
  ['request outcomes: access log, metrics, usage, tail', /core\/http\/(access-log|request-outcomes)|plugins\/(metrics|admin)\/|core\/admin\/usage|core\/state\/|node_modules\/prom-client\//],
  ['undici (the upstream client)', /node_modules\/undici\/|^wasm:/],
  ['pino', /node_modules\/(pino|sonic-boom)\//],
  ['Node: HTTP server, streams, events, net, timers, buffers', /^node:/],
];

function groupOf(frame: ProfileNode['callFrame']): string | undefined {
  if (frame.functionName === '(idle)') return undefined;
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (frame.functionName === '(program)') return '(program): V8 work not attributed to a function';
  if (!frame.url) return 'native calls: syscalls, JSON.parse/stringify, string work';
  return GROUPS.find(([, re]) => re.test(frame.url))?.[0] ?? 'other JS';
}

/** The newest .cpuprofile in `dir` (node names them by time and pid). */
export function newestProfile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return join(dir, files[files.length - 1]);
}

/**
 * The table, one column per window. The profile's clock is monotonic µs; it is aligned to the
 * wall clock by its end, written when the process exited just after `stoppedAt`.
 */
export function groupProfile(file: string, windows: Window[], stoppedAt: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const offsetUs = p.endTime - stoppedAt * 1000;
  const perWindow = windows.map(() => new Map<string, number>());
  const busy = windows.map(() => 0);
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const g = groupOf(frames.get(p.samples[i])!);
    if (!g) continue;
    const wall = (t - offsetUs) / 1000;
    const w = windows.findIndex((x) => wall >= x.from && wall <= x.to);
    if (w === -1) continue;
    const d = p.timeDeltas[i + 1] ?? 0;
    perWindow[w].set(g, (perWindow[w].get(g) ?? 0) + d);
    busy[w] += d;
  }
  const names = [...new Set(perWindow.flatMap((m) => [...m.keys()]))].sort((a, b) => (perWindow[0].get(b) ?? 0) - (perWindow[0].get(a) ?? 0));
  const cell = (w: number, g: string) => {
    const d = perWindow[w].get(g) ?? 0;
    return `${(d / windows[w].requests).toFixed(1)} (${busy[w] ? ((100 * d) / busy[w]).toFixed(0) : 0} %)`;
  };
  const lines = [`| group | ${windows.map((w) => `${w.name} µs/request`).join(' | ')} |`, `| --- |${windows.map(() => ' --- |').join('')}`];
  for (const g of names) lines.push(`| ${g} | ${windows.map((_, w) => cell(w, g)).join(' | ')} |`);
  lines.push(`| **busy per request** | ${windows.map((w, i) => `**${(busy[i] / w.requests).toFixed(0)}**`).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}
