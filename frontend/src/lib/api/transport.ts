// The transport is the one place that knows how a call reaches Go: through the
// Wails bindings inside the desktop window, or through POST /api/call/<name>
// in a browser talking to `corral serve`.

import type { TransportName } from './types';

type BoundMethod = (...args: unknown[]) => Promise<unknown>;
type BoundStructs = Record<string, Record<string, BoundMethod | undefined> | undefined>;

interface WailsWindow {
  go?: { app?: unknown };
}

function boundStructs(): BoundStructs | undefined {
  const w = (globalThis as { window?: WailsWindow }).window;
  const app = w?.go?.app;
  return typeof app === 'object' && app !== null ? (app as BoundStructs) : undefined;
}

/** transportName reports which transport calls use right now. */
export function transportName(): TransportName {
  return boundStructs() ? 'wails' : 'http';
}

/** toError turns whatever a promise rejected with into an Error; Wails rejects with plain strings. */
export function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  if (typeof reason === 'string') return new Error(reason);
  if (typeof reason === 'object' && reason !== null && 'message' in reason) {
    return new Error(String((reason as { message: unknown }).message));
  }
  return new Error(String(reason));
}

function splitName(name: string): [string, string] {
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1 || name.indexOf('.', dot + 1) !== -1) {
    throw new Error(`invalid method name ${JSON.stringify(name)}: want "Struct.Method"`);
  }
  return [name.slice(0, dot), name.slice(dot + 1)];
}

async function callWails(app: BoundStructs, name: string, args: unknown[]): Promise<unknown> {
  const [structName, methodName] = splitName(name);
  const method = app[structName]?.[methodName];
  if (typeof method !== 'function') {
    throw new Error(`backend method ${name} is not bound`);
  }
  try {
    return await method(...args);
  } catch (reason) {
    throw toError(reason);
  }
}

/** errorMessage extracts the message of a failed HTTP call: the JSON `error` field, else the status text. */
export async function errorMessage(res: Response): Promise<string> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The body is optional; fall back to the status line.
  }
  if (text) {
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body === 'object' && body !== null && 'error' in body) {
        const msg = (body as { error: unknown }).error;
        if (typeof msg === 'string' && msg !== '') return msg;
      }
    } catch {
      // Not JSON (a proxy's HTML page, for example); use the status line.
    }
  }
  return res.statusText || `HTTP ${res.status}`;
}

async function callHTTP(name: string, args: unknown[]): Promise<unknown> {
  splitName(name);
  let res: Response;
  try {
    res = await fetch('/api/call/' + name, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
      credentials: 'same-origin',
    });
  } catch (reason) {
    throw new Error(`cannot reach the Corral backend: ${toError(reason).message}`);
  }
  if (!res.ok) {
    throw new Error(await errorMessage(res));
  }
  const text = await res.text();
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${name}: response is not JSON`);
  }
}

/** call invokes the bound Go method name ("Struct.Method") with args over the current transport. */
export async function call<T>(name: string, ...args: unknown[]): Promise<T> {
  const app = boundStructs();
  const result = app ? await callWails(app, name, args) : await callHTTP(name, args);
  return result as T;
}
