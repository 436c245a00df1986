import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery {
  url: string;
  event: string;
  action?: string;
  status: number | 'unreachable';
}

/** `sha256=<hex HMAC-SHA256 of the exact body>` (GitHub's X-Hub-Signature-256, and the workflow's own header). */
export const signature = (secret: string, body: string, algorithm: 'sha256' | 'sha1' = 'sha256'): string =>
  `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;

/**
 * Sends a webhook as GitHub does: one POST, JSON, signed with the hook's secret (X-Hub-Signature-256 and the
 * legacy SHA-1 X-Hub-Signature), X-GitHub-Event and X-GitHub-Delivery; a failed delivery is not retried.
 */
export async function sendWebhook(
  hook: { url: string; secret: string; id: number },
  event: string,
  payload: Record<string, unknown>,
): Promise<Delivery> {
  const body = JSON.stringify(payload);
  const action = typeof payload.action === 'string' ? payload.action : undefined;
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/local',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-github-hook-id': String(hook.id),
        'x-hub-signature': signature(hook.secret, body, 'sha1'),
        'x-hub-signature-256': signature(hook.secret, body),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { url: hook.url, event, ...(action ? { action } : {}), status: response.status };
  } catch {
    return { url: hook.url, event, ...(action ? { action } : {}), status: 'unreachable' };
  }
}
