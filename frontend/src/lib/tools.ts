// What a tool call looks like on a card and a graph node: a title (the
// command, file or pattern), and a few facts (exit code, lines added and
// removed, matches). Pure functions over the recorded input and output.

import type { ToolMeta, ToolOutput } from './api';
import { countText, durationText, excerpt, plural } from './format';

/** Tone colours a fact. */
export type Tone = 'ok' | 'bad' | 'add' | 'del' | 'muted' | 'warn';

/** Fact is one short fact about a tool call. */
export interface Fact {
  text: string;
  tone: Tone;
  title?: string;
}

/** ToolSummary is what a card shows about a tool call. */
export interface ToolSummary {
  /** verb is a short word for the action: "Ran", "Wrote", "Edited", "Read", "Found", "Searched". */
  verb: string;
  /** subject is the command, path or pattern. */
  subject: string;
  /** mono says the subject is code (a command or a path). */
  mono: boolean;
  facts: Fact[];
  /** error is true when the tool reported failure (the model saw an error result). */
  error: boolean;
  /** diff is the unified diff of a file change, when recorded. */
  diff?: string;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** toolOutput reads a recorded tool output, which may be missing while the call runs. */
export function toolOutput(v: unknown): ToolOutput | undefined {
  const o = obj(v);
  if (typeof o.content !== 'string') return undefined;
  return { content: o.content, is_error: o.is_error === true, meta: obj(o.meta) as ToolMeta };
}

/** exitCode is the command's exit status: from meta, else from the "Exit code: N" line the model sees. */
export function exitCode(out: ToolOutput | undefined): number | undefined {
  if (!out) return undefined;
  if (typeof out.meta?.exit_code === 'number') return out.meta.exit_code;
  const m = /^Exit code: (-?\d+)/m.exec(out.content);
  return m ? Number(m[1]) : undefined;
}

/** changeCounts reads +added −removed from meta, else from "(+N -M lines)" in the result text. */
function changeCounts(out: ToolOutput | undefined): { added: number; removed: number } | undefined {
  if (!out) return undefined;
  const meta = out.meta ?? {};
  if (typeof meta.added === 'number' || typeof meta.removed === 'number') {
    return { added: meta.added ?? 0, removed: meta.removed ?? 0 };
  }
  const m = /\(\+(\d+) -(\d+) lines?\)/.exec(out.content);
  return m ? { added: Number(m[1]), removed: Number(m[2]) } : undefined;
}

/** changeFacts renders +added −removed; a zero count is muted. */
function changeFacts(c: { added: number; removed: number }): Fact[] {
  return [
    { text: `+${c.added}`, tone: c.added > 0 ? 'add' : 'muted', title: plural(c.added, 'line') + ' added' },
    { text: `−${c.removed}`, tone: c.removed > 0 ? 'del' : 'muted', title: plural(c.removed, 'line') + ' removed' },
  ];
}

/** lineCount counts the lines of a file's content; a final newline ends the last line. */
export function lineCount(content: string): number {
  if (content === '') return 0;
  return content.split('\n').length - (content.endsWith('\n') ? 1 : 0);
}

/** firstLine is the first non-empty line of a command, with a hint that more follow. */
function firstLine(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return '';
  return lines.length > 1 ? lines[0].trimEnd() + ' …' : lines[0];
}

/** summarizeTool describes a tool call from its name, input and (when finished) output. */
export function summarizeTool(name: string, input: unknown, output: unknown): ToolSummary {
  const inp = obj(input);
  const out = toolOutput(output);
  const meta = out?.meta ?? {};
  const facts: Fact[] = [];
  const error = out?.is_error === true;
  let verb = name;
  let subject = '';
  let mono = true;
  let diff: string | undefined = meta.diff || undefined;

  switch (name) {
    case 'task': {
      // A subagent: the agent and the task it was given (backend/agent/task.go).
      verb = 'Delegated';
      subject = `${str(inp.agent)}: ${firstLine(str(inp.prompt))}`;
      mono = false;
      if (inp.isolation === 'copy') facts.push({ text: 'in a copy', tone: 'muted' });
      if (inp.isolation === 'worktree') facts.push({ text: 'in a git worktree', tone: 'muted' });
      break;
    }
    case 'exec': {
      verb = 'Ran';
      subject = firstLine(str(inp.command));
      const code = exitCode(out);
      if (meta.timed_out) facts.push({ text: 'timed out', tone: 'bad' });
      if (code !== undefined) facts.push({ text: `exit ${code}`, tone: code === 0 ? 'ok' : 'bad' });
      if (meta.duration_ms) facts.push({ text: durationText(meta.duration_ms), tone: 'muted' });
      const changed = (meta.changed?.length ?? 0) + (meta.changed_omitted ?? 0);
      if (changed > 0) facts.push({ text: `${plural(changed, 'file')} changed`, tone: 'muted' });
      const blocked = (meta.egress ?? []).filter((e) => !e.allowed).length;
      if (blocked > 0) facts.push({ text: `${plural(blocked, 'connection')} blocked`, tone: 'bad' });
      break;
    }
    case 'write': {
      verb = 'Wrote';
      subject = str(inp.path) || str(meta.path);
      const change = changeCounts(out);
      if (meta.created) {
        facts.push({ text: 'new', tone: 'add' });
        const lines = meta.lines ?? lineCount(str(inp.content));
        facts.push({ text: `+${lines}`, tone: 'add', title: plural(lines, 'line') + ' added' });
      } else if (change) {
        facts.push(...changeFacts(change));
      }
      break;
    }
    case 'edit': {
      verb = 'Edited';
      subject = str(inp.path) || str(meta.path);
      const change = changeCounts(out);
      if (change) facts.push(...changeFacts(change));
      if (!diff && out && !error) {
        const at = out.content.indexOf('\n--- ');
        if (at >= 0) diff = out.content.slice(at + 1);
      }
      break;
    }
    case 'read': {
      verb = 'Read';
      subject = str(inp.path) || str(meta.path);
      if (meta.lines) facts.push({ text: plural(meta.lines, 'line'), tone: 'muted' });
      else if (meta.bytes) facts.push({ text: `${countText(meta.bytes)} bytes`, tone: 'muted' });
      break;
    }
    case 'glob': {
      verb = 'Found';
      subject = str(inp.pattern);
      if (out && !error) facts.push({ text: plural(meta.matches ?? 0, 'file'), tone: 'muted' });
      break;
    }
    case 'grep': {
      verb = 'Searched';
      subject = str(inp.pattern);
      if (str(inp.path)) subject += ` in ${str(inp.path)}`;
      if (out && !error) {
        const m = meta.matches ?? 0;
        facts.push({ text: meta.files ? `${plural(m, 'match', 'matches')} in ${plural(meta.files, 'file')}` : plural(m, 'match', 'matches'), tone: 'muted' });
      }
      break;
    }
    default: {
      verb = name || 'tool';
      mono = false;
      subject = excerpt(JSON.stringify(input ?? {}), 80);
      const m = mcpName(name, meta);
      if (m) {
        verb = `${m.server}/${m.tool}`;
        mono = true;
        facts.push({ text: 'MCP', tone: 'muted', title: `tool ${m.tool} of the MCP server ${m.server}` });
        const images = meta.mcp?.images?.length ?? 0;
        if (images > 0) facts.push({ text: plural(images, 'image'), tone: 'muted' });
      }
    }
  }
  if (meta.truncated) facts.push({ text: 'truncated', tone: 'warn' });
  if (meta.resolved) facts.push({ text: meta.resolved.startsWith('done') ? 'checked after a crash' : 'redone after a crash', tone: 'warn', title: meta.resolved });
  if (error && !(name === 'exec' && exitCode(out) !== undefined)) facts.push({ text: 'error', tone: 'bad' });
  return { verb, subject, mono, facts, error, diff };
}

/** DiffLine is one line of a unified diff, classified for colouring. */
export interface DiffLine {
  kind: 'add' | 'del' | 'hunk' | 'file' | 'ctx';
  text: string;
}

/** diffLines classifies the lines of a unified diff. */
export function diffLines(diff: string): DiffLine[] {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => {
      if (text.startsWith('+++') || text.startsWith('---')) return { kind: 'file' as const, text };
      if (text.startsWith('@@')) return { kind: 'hunk' as const, text };
      if (text.startsWith('+')) return { kind: 'add' as const, text };
      if (text.startsWith('-')) return { kind: 'del' as const, text };
      return { kind: 'ctx' as const, text };
    });
}

/** mcpName is the server and tool of an MCP tool call: from the result's meta, else from
 * its offered name mcp__SERVER__TOOL (a call still running); undefined for other tools. */
export function mcpName(name: string, meta?: ToolMeta): { server: string; tool: string } | undefined {
  if (meta?.mcp) return { server: meta.mcp.server, tool: meta.mcp.tool };
  const m = /^mcp__(.+?)__(.+)$/.exec(name);
  return m ? { server: m[1], tool: m[2] } : undefined;
}
