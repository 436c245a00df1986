import { describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT, LOCAL_WORKLOAD_ACCOUNT_IDS } from '#src/platform/local/iam/function-roles.js';
import { LOCAL_WORKLOAD_ACCOUNTS } from './instances-stand-ins.js';

// The platform's local runtime cannot import this constant (platform/local/iam is no composition root that may reach
// into a context beyond its index.ts): it repeats the accounts as the stack's WorkloadAccountIds parameter, which
// confines the functions' sts:AssumeRole. Kept in step here: an account added to one only would be refused locally.
describe('the local workload accounts', () => {
  it("are the platform's WorkloadAccountIds, each environment its own, none the control plane's", () => {
    const accounts = Object.values(LOCAL_WORKLOAD_ACCOUNTS);
    expect([...accounts].sort()).toEqual([...LOCAL_WORKLOAD_ACCOUNT_IDS].sort());
    expect(new Set(accounts).size).toBe(accounts.length);
    expect(accounts).not.toContain(LOCAL_ACCOUNT);
  });
});
