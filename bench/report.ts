/** Reduces the runs to medians, judges them against the targets, and renders text, markdown and JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, type Mode } from './client.js';

export interface TargetRun {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  fails: number;
  /** c=1 p50: full response (nonstream) or first body byte (stream). */
  c1Ms: number;
  /** c=1 p50 minus the same probe sent straight to the mock. */
  addedMs: number;
  /** Server CPU time per successful request during the measured load run. */
  cpuUsPerReq: number;
}

export interface ModeRun {
  directC1Ms: number;
  passthrough: TargetRun;
  switchboard: TargetRun;
  /** switchboard req/s ÷ passthrough req/s within the same run. */
  ratio: number;
}

export type Run = Partial<Record<Mode, ModeRun>>;

export interface Settings {
  durationS: number;
  warmupS: number;
  connections: number;
  runs: number;
  probeRequests: number;
  /** `blocks`: each target's probes back to back (as ../shared/bench); `interleaved`: round-robin. */
  probeOrder: 'blocks' | 'interleaved';
  chunks: number;
  modes: Mode[];
}

export interface Summary {
  settings: Settings;
  environment: { node: string; cpus: number; cpuModel: string; date: string };
  modes: Partial<Record<Mode, ModeRun>>;
  peakRssMb: { switchboard: number; passthrough: number };
  verdicts: Verdict[];
  runs: Run[];
}

interface Verdict {
  name: string;
  value: number;
  limit: number;
  unit: string;
  pass: boolean;
}

const TARGET_KEYS: (keyof TargetRun)[] = ['rps', 'p50Ms', 'p99Ms', 'c1Ms', 'addedMs', 'cpuUsPerReq'];

function medianTarget(runs: TargetRun[]): TargetRun {
  const out = { fails: runs.reduce((n, r) => n + r.fails, 0) } as TargetRun; // failures are summed, not averaged away
  for (const k of TARGET_KEYS) out[k] = median(runs.map((r) => r[k]));
  return out;
}

export function summarize(settings: Settings, environment: Summary['environment'], runs: Run[], peakRssMb: Summary['peakRssMb']): Summary {
  const modes: Summary['modes'] = {};
  for (const mode of settings.modes) {
    const per = runs.map((r) => r[mode]).filter((m): m is ModeRun => m !== undefined);
    modes[mode] = {
      directC1Ms: median(per.map((m) => m.directC1Ms)),
      passthrough: medianTarget(per.map((m) => m.passthrough)),
      switchboard: medianTarget(per.map((m) => m.switchboard)),
      ratio: median(per.map((m) => m.ratio)),
    };
  }
  const verdicts: Verdict[] = [];
  const check = (name: string, value: number, limit: number, unit: string, atLeast: boolean) =>
    verdicts.push({ name, value, limit, unit, pass: atLeast ? value >= limit : value <= limit });
  if (modes.nonstream) check('nonstream req/s ratio switchboard/passthrough', modes.nonstream.ratio, 0.7, '', true);
  if (modes.stream) check('stream req/s ratio switchboard/passthrough', modes.stream.ratio, 0.6, '', true);
  if (modes.nonstream) check('nonstream added latency at c=1 (full response)', modes.nonstream.switchboard.addedMs, 0.3, ' ms', false);
  if (modes.stream) check('stream added latency at c=1 (TTFB)', modes.stream.switchboard.addedMs, 0.3, ' ms', false);
  check('switchboard peak RSS', peakRssMb.switchboard, 150, ' MB', false);
  return { settings, environment, modes, peakRssMb, verdicts, runs };
}

const HEAD = ['mode', 'target', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'fails', 'c=1 p50 ms', 'added ms', 'CPU µs/req'];

function rows(s: Summary): string[][] {
  const out: string[][] = [];
  const f = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const ms = (n: number) => (Number.isFinite(n) ? String(Math.round(n * 100) / 100) : 'n/a'); // autocannon: whole ms
  for (const mode of s.settings.modes) {
    const m = s.modes[mode];
    if (!m) continue;
    out.push([mode, 'direct mock', '-', '-', '-', '-', '-', f(m.directC1Ms, 3), '-', '-']);
    for (const name of ['passthrough', 'switchboard'] as const) {
      const t = m[name];
      const ratio = name === 'switchboard' ? f(m.ratio, 2) : '-';
      out.push([mode, name, f(t.rps, 0), ratio, ms(t.p50Ms), ms(t.p99Ms), String(t.fails), f(t.c1Ms, 3), f(t.addedMs, 3), f(t.cpuUsPerReq, 0)]);
    }
  }
  return out;
}

function header(s: Summary): string[] {
  const st = s.settings;
  return [
    `Switchboard benchmark: median of ${st.runs} run(s); ${st.durationS} s autocannon at ${st.connections} connections after ${st.warmupS} s warm-up; ` +
      `${st.probeRequests} c=1 probe requests (${st.probeOrder}); ${st.chunks} SSE content chunks`,
    `${s.environment.date}  node ${s.environment.node}  ${s.environment.cpus} CPU(s) ${s.environment.cpuModel}`,
  ];
}

const NOTES = [
  'req/s counts 2xx only; fails = non-2xx + errors (summed over runs); ratio = switchboard/passthrough req/s.',
  'c=1 p50: full response time (nonstream) or time to first body byte (stream); added = target minus direct mock.',
];

function verdictLine(v: Verdict): string {
  return `${v.pass ? 'PASS' : 'FAIL'}  ${v.name} ${v.unit === '' ? '>=' : '<='} ${v.limit}${v.unit}: ${v.value.toFixed(v.unit === '' ? 2 : 3)}${v.unit}`;
}

export function renderText(s: Summary): string {
  const table = [HEAD, ...rows(s)];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    ...header(s),
    '',
    ...table.map(line),
    '',
    ...NOTES,
    `Peak RSS (VmHWM): switchboard ${s.peakRssMb.switchboard.toFixed(1)} MB, passthrough ${s.peakRssMb.passthrough.toFixed(1)} MB`,
    '',
    'Targets:',
    ...s.verdicts.map(verdictLine),
    '',
  ].join('\n');
}

export function renderMarkdown(s: Summary): string {
  const md = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    '# Switchboard benchmark',
    '',
    ...header(s).map((l) => `${l}  `),
    '',
    md(HEAD),
    md(HEAD.map((_, i) => (i < 2 ? '---' : '---:'))),
    ...rows(s).map(md),
    '',
    ...NOTES.map((n) => `- ${n}`),
    `- Peak RSS (VmHWM): switchboard **${s.peakRssMb.switchboard.toFixed(1)} MB**, passthrough ${s.peakRssMb.passthrough.toFixed(1)} MB`,
    '',
    '## Targets',
    '',
    ...s.verdicts.map((v) => `- ${v.pass ? '✅' : '❌'} ${verdictLine(v)}`),
    '',
  ].join('\n');
}

/** Writes results.json and results.md into bench/results/<timestamp>/; returns that directory. */
export function writeResults(benchDir: string, s: Summary): string {
  const dir = join(benchDir, 'results', s.environment.date.replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(s, null, 2) + '\n');
  writeFileSync(join(dir, 'results.md'), renderMarkdown(s));
  return dir;
}
