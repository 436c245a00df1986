import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { leakForms } from '#src/platform/event-store/personal-data.fixtures.js';
import { personalKeys, redactingReplacer, redactText } from './redaction.js';

describe('redaction of logs and error texts', () => {
  it("keeps a person's address out of a log line at DEBUG, wherever it is (keys, messages, errors and stacks)", () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const logger = new Logger({
        serviceName: 'test',
        logLevel: 'DEBUG',
        jsonReplacerFn: redactingReplacer(personalKeys(catalogue)),
      });
      const email = 'Ada.Lovelace+x@Example.Test';
      logger.debug(`assigned ${email}`, {
        data: { contactEmail: email, userId: 'u-1', email: 'other@example.test' },
        error: new Error(`could not project ${email}`),
        query: `email=${encodeURIComponent(email)}`,
      });
      const text = lines.join('');
      expect(text).toContain('"userId":"u-1"');
      expect(text).toContain('"contactEmail":"[redacted]"');
      for (const form of [...leakForms(email), 'other@example.test']) expect(text).not.toContain(form);
    } finally {
      write.mockRestore();
    }
  });

  it('masks e-mail shapes in any text, plain or URL-encoded, and leaves the rest', () => {
    expect(redactText('ops@acme.test failed; see tenant-01J@3')).toBe('[email] failed; see tenant-01J@3');
    expect(redactText('?email=ops%40acme.test&x=1')).toBe('?email=[email]&x=1');
    expect(personalKeys(catalogue)).toEqual(new Set(['contactEmail', 'email']));
  });
});
