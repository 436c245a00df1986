import { type LocalKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';

export interface LoadReport {
  tenants: string[];
  commands: number;
  /** answers other than 2xx (none expected: commands touch only the event table) */
  failed: { status: number; path: string }[];
}

/**
 * Steady load of commands through the HTTP API, as operators would send them: each worker creates a tenant,
 * then assigns, updates, parks, unparks and removes a user on it, creating other tenants in between that it
 * leaves alone (as most tenants are, most of the time).
 */
export function startLoad(httpUrl: string, keys: LocalKeys, options: { workers: number; pauseMs: number }) {
  const token = signLocalToken(keys, {
    sub: 'drill-operator',
    email: 'ops@drill.test',
    'cognito:groups': ['Operator'],
  });
  const report: LoadReport = { tenants: [], commands: 0, failed: [] };
  let running = true;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${httpUrl}/v1.0${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    report.commands++;
    if (response.status >= 300) report.failed.push({ status: response.status, path });
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const create = async (name: string) => {
    const created = await call('POST', '/tenants', {
      organizationName: `Drill ${name} ${Date.now()}`,
      contactEmail: 'ops@drill.test',
      environment: 'dev',
    });
    const id = String(created.tenantId);
    report.tenants.push(id);
    return id;
  };
  const worker = async (w: number) => {
    for (let round = 0; running; round++) {
      const id = await create(`${w} ${round}`);
      const steps: [string, string, unknown?][] = [
        ['POST', `/tenants/${id}/users`, { userId: `drill-user-${w}`, role: 'TenantMember' }],
        ['PATCH', `/tenants/${id}`, { contactEmail: `it${round}@drill.test` }],
        ['POST', `/tenants/${id}/park`, { reason: 'drill' }],
        ['POST', `/tenants/${id}/unpark`, {}],
        ['DELETE', `/tenants/${id}/users/drill-user-${w}`],
      ];
      for (const [i, [method, path, body]] of steps.entries()) {
        if (!running) break;
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
        await call(method, path, body);
        // tenants created and then left alone: a dropped event of theirs is never caught up by a later one
        await create(`${w} ${round} one-shot ${i}`);
      }
    }
  };
  const workers = Array.from({ length: options.workers }, (_, w) => worker(w));
  return {
    report,
    stop: async (): Promise<LoadReport> => {
      running = false;
      await Promise.all(workers);
      return report;
    },
  };
}
