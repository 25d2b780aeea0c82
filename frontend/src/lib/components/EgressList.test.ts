import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { EgressEvent } from '../api';
import EgressList from './EgressList.svelte';

const ev = (over: Partial<EgressEvent>): EgressEvent => ({
  time: '2026-12-07T20:00:00Z',
  method: 'GET',
  host: 'denied.test',
  port: 8080,
  allowed: false,
  reason: 'denied.test:8080 is not on the allowlist',
  bytes_in: 0,
  bytes_out: 0,
  duration_ms: 1,
  ...over,
});

describe('EgressList', () => {
  const events = [ev({ host: 'ok.test', port: 443, method: 'CONNECT', allowed: true, bytes_in: 900, reason: undefined }), ev({}), ev({ method: 'POST' })];

  it('lists every connection, allowed and blocked, and offers to allow each blocked host once', () => {
    const body = render(EgressList, { props: { events, scope: { session: 'ses_1', agent: 'coder' } } }).body;
    expect(body.match(/data-testid="egress-allowed"/g)).toHaveLength(1);
    expect(body.match(/data-testid="egress-blocked"/g)).toHaveLength(2);
    expect(body).toContain('allowed CONNECT ok.test:443 (900 B in, 0 B out, 1 ms)');
    expect(body).toContain('blocked GET denied.test:8080: denied.test:8080 is not on the allowlist');
    expect(body.match(/data-testid="egress-allow-session"/g)).toHaveLength(1);
    expect(body).toContain('denied.test:8080');
    expect(body).toContain('for agent coder');
  });

  it('offers nothing to allow without a scope (an imported run)', () => {
    const body = render(EgressList, { props: { events } }).body;
    expect(body).not.toContain('egress-allow-session');
    expect(body.match(/data-testid="egress-blocked"/g)).toHaveLength(2);
  });
});
