import { describe, expect, it } from 'vitest';
import type { EgressEvent } from './api';
import { allowPattern, allowRule, blockedHosts, describeEgress } from './egress';

const ev = (over: Partial<EgressEvent>): EgressEvent => ({
  time: '2026-12-07T20:00:00Z',
  method: 'GET',
  host: 'denied.test',
  port: 80,
  allowed: false,
  bytes_in: 0,
  bytes_out: 0,
  duration_ms: 1,
  ...over,
});

describe('egress', () => {
  it.each([
    [{ host: 'registry.npmjs.org', port: 443 }, 'registry.npmjs.org'],
    [{ host: 'denied.test', port: 80 }, 'denied.test'],
    [{ host: 'api.test', port: 8443 }, 'api.test:8443'],
    [{ host: '::1', port: 8080 }, '[::1]:8080'],
  ])('allowPattern(%o) = %s', (e, want) => {
    expect(allowPattern(e)).toBe(want);
  });

  it('allowRule wraps the pattern in net()', () => {
    expect(allowRule({ host: 'api.test', port: 8443 })).toBe('net(api.test:8443)');
  });

  it('describes blocked and allowed connections as the terminal does', () => {
    expect(describeEgress(ev({ reason: 'denied.test:80 is not on the allowlist' }))).toBe(
      'blocked GET denied.test:80: denied.test:80 is not on the allowlist',
    );
    expect(describeEgress(ev({ host: 'ok.test', allowed: true, status: 200, bytes_in: 141 }))).toBe(
      'allowed GET ok.test:80 (200, 141 B in, 0 B out, 1 ms)',
    );
  });

  it('blockedHosts lists each blocked host once, allowed ones never', () => {
    const evs = [ev({}), ev({ method: 'CONNECT', port: 443 }), ev({ host: 'ok.test', allowed: true }), ev({ host: 'x.test', port: 8080 })];
    expect(blockedHosts(evs)).toEqual(['denied.test', 'x.test:8080']);
    expect(blockedHosts(undefined)).toEqual([]);
  });
});
