import type { IncomingMessage } from 'node:http';

/** A refusal a local server answers before anything else runs. */
export interface LoopbackRefusal {
  /** 421 for a Host this server is not, 403 for a foreign Origin. */
  readonly status: 421 | 403;
  readonly reason: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Refuses what a DNS-rebinding web page or a cross-site form sends to a loopback server: a Host
 * header naming anything but this server's loopback address and port, or an Origin that is not a
 * loopback origin. A request from the CLI, the SDK or curl sends neither a foreign Host nor an Origin.
 */
export function loopbackRefusal(req: IncomingMessage, port: number, host?: string): LoopbackRefusal | undefined {
  const names = host === undefined || LOOPBACK_NAMES.includes(host) ? LOOPBACK_NAMES : [...LOOPBACK_NAMES, host];
  const given = String(req.headers.host ?? '').toLowerCase();
  if (!names.some((name) => given === `${name}:${port}`)) {
    return {
      status: 421,
      reason: `Host ${given || '(none)'} is not this local server: call it as 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return { status: 403, reason: `Origin ${origin} may not call the local control plane: only loopback pages may` };
  }
  return undefined;
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_NAMES.includes(url.hostname);
  } catch {
    return false;
  }
}
