/** The `--peers` table (bench/peers-report.ts) from a peer benchmark's results.json; no benchmark runs here. */
import { describe, expect, it } from 'vitest';
import { peerRows, renderPeersMarkdown, renderPeersText, type PeerResults, type PeerTarget } from '../bench/peers-report.js';

const load = (rps: number, cpuUsPerReq: number, fails = 0) => ({ rps, p50: 1000 / rps, p99: 4000 / rps, non2xx: fails, errors: 0, timeouts: 0, cpuUsPerReq });
const target = (name: string, rpsNs: number, rpsSt: number, nsP50: number, ttfbP50: number, hwmMb: number, extra: Partial<PeerTarget> = {}): PeerTarget => ({
  name,
  validation: { ok: true, notes: [] },
  nonstream: load(rpsNs, 1e6 / rpsNs),
  stream: load(rpsSt, 2e6 / rpsSt),
  probe: { nsP50, ttfbP50 },
  vmHwmKb: hwmMb * 1024,
  ...extra,
});

const results: PeerResults = {
  targets: [
    target('direct', 40000, 20000, 0.2, 0.25, 90),
    target('baseline', 20000, 10000, 0.3, 0.35, 130),
    target('portkey', 2000, 1000, 1.0, 28.25, 220),
    target('switchboard', 14000, 6000, 0.5, 0.6, 150),
  ],
};

describe('peerRows', () => {
  it('passthrough, switchboard, portkey per mode: ratio to the passthrough, c=1 added over direct, peak RSS in MB', () => {
    const rows = peerRows(results, ['nonstream', 'stream']);
    expect(rows.map((r) => `${r.mode} ${r.target}`)).toEqual([
      'nonstream passthrough',
      'nonstream switchboard',
      'nonstream portkey',
      'stream passthrough',
      'stream switchboard',
      'stream portkey',
    ]);
    const sb = rows[1];
    expect(sb.rps).toBe(14000);
    expect(sb.ratio).toBeCloseTo(0.7, 12);
    expect(sb.addedMs).toBeCloseTo(0.3, 12); // full response, non-stream
    expect(sb.peakRssMb).toBe(150);
    expect(rows[5].addedMs).toBeCloseTo(28, 12); // TTFB, stream
    expect(rows[3].ratio).toBe(1);
  });

  it('marks a target that failed validation or did not run, with the reason', () => {
    const failed: PeerResults = {
      targets: [results.targets[0], results.targets[1], { name: 'portkey', validation: { ok: false, why: 'stream HTTP 500' } }, results.targets[3]],
    };
    const rows = peerRows(failed, ['nonstream']);
    expect(rows[2]).toEqual({ mode: 'nonstream', target: 'portkey', failed: 'validation failed: stream HTTP 500' });
    expect(peerRows({ targets: results.targets.slice(0, 2) }, ['stream'])[1]).toEqual({ mode: 'stream', target: 'switchboard', failed: 'not run' });
  });
});

describe('rendering', () => {
  it('aligns the text table and lists each failure once after it', () => {
    const rows = peerRows({ targets: results.targets.filter((t) => t.name !== 'portkey') }, ['nonstream', 'stream']);
    expect(renderPeersText(rows)).toEqual([
      'mode       target        req/s  ratio  p50 ms  CPU µs/req  c=1 added ms  fails  peak RSS MB',
      'nonstream  passthrough   20000   1.00    0.05          50         +0.10      0        130.0',
      'nonstream  switchboard   14000   0.70    0.07          71         +0.30      0        150.0',
      'nonstream  portkey      FAILED',
      'stream     passthrough   10000   1.00    0.10         200         +0.10      0        130.0',
      'stream     switchboard    6000   0.60    0.17         333         +0.35      0        150.0',
      'stream     portkey      FAILED',
      'portkey: FAILED (not run)',
    ]);
  });

  it('renders the same rows as a markdown table', () => {
    const md = renderPeersMarkdown(peerRows(results, ['nonstream']));
    expect(md[0]).toBe('| mode | target | req/s | ratio | p50 ms | CPU µs/req | c=1 added ms | fails | peak RSS MB |');
    expect(md[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    expect(md[4]).toBe('| nonstream | portkey | 2000 | 0.10 | 0.50 | 500 | +0.80 | 0 | 220.0 |');
  });
});
