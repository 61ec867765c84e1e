/**
 * Secrets Manager's write quota, enforced in front of the local endpoint until the endpoint
 * enforces it itself: an HTTP proxy that forwards every request and answers the writes over
 * the quota as AWS does, HTTP 400 `ThrottlingException` ("Rate exceeded"), which the SDK treats
 * as throttling. The quota is strict: at most `writesPerSecond` writes (PutSecretValue,
 * UpdateSecretVersionStage, UpdateSecret and the replication calls, which share the quota on
 * AWS) in any sliding window of one second; a refused call does not count.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The operations that share the 50/s write quota (Secrets Manager quotas page). */
export const WRITE_OPERATIONS = new Set([
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'UpdateSecret',
  'RemoveRegionsFromReplication',
  'ReplicateSecretToRegions',
  'StopReplicationToReplica',
]);

export interface QuotaProxy {
  url: string;
  /** Turns enforcement on or off (off while a test sets up its secrets). */
  enforce(on: boolean): void;
  /** Writes let through and refused, by operation, since the last reset; and the most in any one second. */
  stats(): { allowed: Record<string, number>; throttled: Record<string, number>; busiestSecond: number };
  reset(): void;
  close(): Promise<void>;
}

export const startQuotaProxy = async (target: string, writesPerSecond: number): Promise<QuotaProxy> => {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let enforcing = true;
  let window: number[] = [];
  let allowed: Record<string, number> = {};
  let throttled: Record<string, number> = {};
  let busiestSecond = 0;

  const admit = (operation: string): boolean => {
    if (!WRITE_OPERATIONS.has(operation)) return true;
    const now = performance.now();
    while (window.length > 0 && (window[0] as number) <= now - 1000) window.shift();
    if (enforcing && window.length >= writesPerSecond) {
      throttled[operation] = (throttled[operation] ?? 0) + 1;
      return false;
    }
    window.push(now);
    busiestSecond = Math.max(busiestSecond, window.length);
    allowed[operation] = (allowed[operation] ?? 0) + 1;
    return true;
  };

  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
    if (!admit(operation)) {
      req.resume();
      const body = JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' });
      res.writeHead(400, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(body),
        'x-amzn-errortype': 'ThrottlingException',
      });
      res.end(body);
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    enforce: (on) => {
      enforcing = on;
    },
    stats: () => ({ allowed: { ...allowed }, throttled: { ...throttled }, busiestSecond }),
    reset: () => {
      window = [];
      allowed = {};
      throttled = {};
      busiestSecond = 0;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
};
