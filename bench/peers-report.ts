/**
 * The `--peers` table: from the peer benchmark's results.json, the passthrough, Switchboard and
 * Portkey side by side per mode. Pure: reading, reducing and rendering only.
 */

/** The part of the peer benchmark's results.json this table reads (one entry per target). */
export interface PeerTarget {
  name: string;
  validation?: { ok: boolean; why?: string; notes?: string[] };
  nonstream?: PeerLoad;
  stream?: PeerLoad;
  probe?: { nsP50: number | null; ttfbP50: number | null } | null;
  vmHwmKb?: number | null;
}

interface PeerLoad {
  rps: number;
  p50: number | null;
  p99: number | null;
  non2xx: number;
  errors: number;
  timeouts: number;
  cpuUsPerReq: number | null;
}

export interface PeerResults {
  startedAt?: string;
  node?: string;
  targets: PeerTarget[];
}

export type PeerMode = 'nonstream' | 'stream';

export interface PeerRow {
  mode: PeerMode;
  /** passthrough, switchboard or portkey. */
  target: string;
  /** Absent when the target failed or was not run; `failed` says why. */
  rps?: number;
  /** req/s ÷ the passthrough's req/s in the same run. */
  ratio?: number;
  p50Ms?: number | null;
  cpuUsPerReq?: number | null;
  /** c=1 p50 minus the same probe straight to the mock: full response (nonstream) or first byte (stream). */
  addedMs?: number | null;
  fails?: number;
  peakRssMb?: number | null;
  failed?: string;
}

/** The peer benchmark's names for the three rows: its bare passthrough is "baseline", Switchboard its "project". */
export const ROW_NAMES: Record<string, string> = { baseline: 'passthrough', switchboard: 'switchboard', portkey: 'portkey' };

export function peerRows(r: PeerResults, modes: PeerMode[], switchboardName = 'switchboard'): PeerRow[] {
  const by = new Map(r.targets.map((t) => [t.name, t]));
  const direct = by.get('direct');
  const base = by.get('baseline');
  const rows: PeerRow[] = [];
  for (const mode of modes) {
    const c1 = (t: PeerTarget | undefined) => (mode === 'stream' ? t?.probe?.ttfbP50 : t?.probe?.nsP50) ?? null;
    for (const [name, label] of [['baseline', 'passthrough'], [switchboardName, 'switchboard'], ['portkey', 'portkey']]) {
      const t = by.get(name);
      const m = t?.[mode];
      if (!t || !m) {
        rows.push({ mode, target: label, failed: !t ? 'not run' : t.validation?.ok === false ? `validation failed: ${t.validation.why}` : 'not measured' });
        continue;
      }
      const here = c1(t);
      const there = c1(direct);
      const baseRps = base?.[mode]?.rps;
      rows.push({
        mode,
        target: label,
        rps: m.rps,
        ratio: baseRps ? m.rps / baseRps : undefined,
        p50Ms: m.p50,
        cpuUsPerReq: m.cpuUsPerReq,
        addedMs: here !== null && there !== null ? here - there : null,
        fails: m.non2xx + m.errors + m.timeouts,
        peakRssMb: t.vmHwmKb == null ? null : t.vmHwmKb / 1024,
      });
    }
  }
  return rows;
}

const HEAD = ['mode', 'target', 'req/s', 'ratio', 'p50 ms', 'CPU µs/req', 'c=1 added ms', 'fails', 'peak RSS MB'];
const f = (n: number | null | undefined, d: number) => (n === null || n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(d));
const signed = (n: number | null | undefined, d: number) => (typeof n === 'number' && n >= 0 ? '+' : '') + f(n, d);

function cells(r: PeerRow): string[] {
  if (r.failed) return [r.mode, r.target, 'FAILED', '', '', '', '', '', ''];
  return [r.mode, r.target, f(r.rps, 0), f(r.ratio, 2), f(r.p50Ms, 2), f(r.cpuUsPerReq, 0), signed(r.addedMs, 2), String(r.fails), f(r.peakRssMb, 1)];
}

export const PEERS_NOTES = [
  'Measured by the peer benchmark in one run against its own mock: passthrough = its bare undici passthrough ("baseline"), switchboard = this build on the default bench config, portkey = @portkey-ai/gateway.',
  'req/s: 2xx per second at its fixed concurrency; ratio = req/s ÷ the passthrough\'s; p50: full response time under load; CPU µs/req: the server process\'s user+sys CPU per 2xx.',
  'c=1 added: concurrency-1 p50 minus the same request straight to the mock (non-stream: full response, stream: first body byte); peak RSS: VmHWM at the end of the run.',
];

/** The rows as an aligned text table; failed rows' reasons follow it. */
export function renderPeersText(rows: PeerRow[]): string[] {
  const table = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [...table.map(line), ...failures(rows)];
}

export function renderPeersMarkdown(rows: PeerRow[]): string[] {
  const md = (r: string[]) => `| ${r.join(' | ')} |`;
  return [md(HEAD), md(HEAD.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map((r) => md(cells(r))), ...failures(rows).map((l) => `\n${l}`)];
}

function failures(rows: PeerRow[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rows) {
    if (!r.failed || seen.has(r.target)) continue;
    seen.add(r.target);
    out.push(`${r.target}: FAILED (${r.failed})`);
  }
  return out;
}
