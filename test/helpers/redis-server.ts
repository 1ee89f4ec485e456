/** A redis-server of a test's own, on its own port, so stopping or pausing it disturbs nobody else. */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';

/** Start one with no persistence and wait until it answers PING. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  const end = Date.now() + 5000;
  for (;;) {
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') break;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`redis-server on port ${port} did not answer within 5000 ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  probe.disconnect();
  return child;
}

/** Kill it (SIGKILL: a crash, not a shutdown) and wait for it to be gone. */
export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
