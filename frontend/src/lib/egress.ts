// Connections a command attempted through the egress proxy (tool meta "egress"): how the
// console and the inspector describe them, and the net(...) rule that allows a blocked one.
import type { EgressEvent } from './api';

/** allowPattern is the host pattern a net(...) rule needs to let ev through: the host, with
 * its port when it is not 80 or 443 (a pattern without a port allows those two). */
export function allowPattern(ev: Pick<EgressEvent, 'host' | 'port'>): string {
  const host = ev.host.includes(':') ? `[${ev.host}]` : ev.host;
  return ev.port === 80 || ev.port === 443 || !ev.port ? host : `${host}:${ev.port}`;
}

/** allowRule is the ledger rule that allows ev's host: net(PATTERN). */
export function allowRule(ev: Pick<EgressEvent, 'host' | 'port'>): string {
  return `net(${allowPattern(ev)})`;
}

/** describeEgress is one connection in a line, as the terminal prints it (egress.Describe). */
export function describeEgress(ev: EgressEvent): string {
  const target = `${ev.host.includes(':') ? `[${ev.host}]` : ev.host}:${ev.port}`;
  if (!ev.allowed) return `blocked ${ev.method} ${target}: ${ev.error || ev.reason || 'not allowed'}`;
  const status = ev.status ? `${ev.status}, ` : '';
  const tail = ev.error ? `: ${ev.error}` : '';
  return `allowed ${ev.method} ${target} (${status}${ev.bytes_in} B in, ${ev.bytes_out} B out, ${ev.duration_ms} ms)${tail}`;
}

/** blockedHosts lists the distinct allow patterns of the blocked events, in order. */
export function blockedHosts(evs: readonly EgressEvent[] | undefined): string[] {
  const out: string[] = [];
  for (const ev of evs ?? []) {
    const p = allowPattern(ev);
    if (!ev.allowed && !out.includes(p)) out.push(p);
  }
  return out;
}
