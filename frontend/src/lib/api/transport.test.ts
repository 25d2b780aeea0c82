import { afterEach, describe, expect, it, vi } from 'vitest';
import { frontendReady, health } from './index';
import { call, errorMessage, toError, transportName } from './transport';

function stubWails(app: unknown) {
  vi.stubGlobal('window', { go: { app } });
}

function stubFetch(response: Response | Error) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => {
    if (response instanceof Error) throw response;
    return response;
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), { headers: { 'Content-Type': 'application/json' }, ...init });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('transportName', () => {
  it.each([
    { name: 'no window (node)', setup: () => {}, want: 'http' },
    { name: 'browser without Wails', setup: () => vi.stubGlobal('window', {}), want: 'http' },
    { name: 'window.go without app', setup: () => vi.stubGlobal('window', { go: {} }), want: 'http' },
    { name: 'window.go.app is not an object', setup: () => vi.stubGlobal('window', { go: { app: 'x' } }), want: 'http' },
    { name: 'window.go.app is null', setup: () => vi.stubGlobal('window', { go: { app: null } }), want: 'http' },
    { name: 'Wails window', setup: () => stubWails({ System: {} }), want: 'wails' },
  ])('$name -> $want', ({ setup, want }) => {
    setup();
    expect(transportName()).toBe(want);
  });
});

describe('Wails transport', () => {
  it('calls window.go.app[Struct][Method] with the arguments and does not fetch', async () => {
    const method = vi.fn(async (...args: unknown[]) => ({ echoed: args }));
    stubWails({ System: { Health: method } });
    const fetchFn = stubFetch(new Error('fetch must not be called'));

    const got = await call<{ echoed: unknown[] }>('System.Health', 1, 'two', { three: 3 });

    expect(got).toEqual({ echoed: [1, 'two', { three: 3 }] });
    expect(method).toHaveBeenCalledWith(1, 'two', { three: 3 });
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it('turns a string rejection into an Error with that message', async () => {
    stubWails({ System: { Health: () => Promise.reject('docker: permission denied') } });
    const err = await call('System.Health').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('docker: permission denied');
  });

  it('rejects when the method is not bound', async () => {
    stubWails({ System: {} });
    await expect(call('System.Missing')).rejects.toThrow('backend method System.Missing is not bound');
    await expect(call('Nope.Health')).rejects.toThrow('backend method Nope.Health is not bound');
  });

  it('health() and frontendReady() go through the bindings', async () => {
    const report = { version: '0.1.0', data_dir: '/d' };
    const ready = vi.fn(async () => null);
    stubWails({ System: { Health: async () => report, FrontendReady: ready } });

    expect(await health()).toEqual(report);
    await frontendReady({ transport: 'wails', data_dir: '/d' });
    expect(ready).toHaveBeenCalledWith({ transport: 'wails', data_dir: '/d' });
  });
});

describe('HTTP transport', () => {
  it('POSTs the JSON array of arguments to /api/call/<name>', async () => {
    const fetchFn = stubFetch(json({ ok: true }));

    const got = await call('System.FrontendReady', { transport: 'http', data_dir: '/x' });

    expect(got).toEqual({ ok: true });
    expect(fetchFn).toHaveBeenCalledTimes(1);
    const [url, init] = fetchFn.mock.calls[0];
    expect(url).toBe('/api/call/System.FrontendReady');
    expect(init).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'same-origin',
    });
    expect(JSON.parse(String(init?.body))).toEqual([{ transport: 'http', data_dir: '/x' }]);
  });

  it('sends an empty array when there are no arguments', async () => {
    const fetchFn = stubFetch(json(null));
    await call('System.Health');
    expect(fetchFn.mock.calls[0][1]?.body).toBe('[]');
  });

  it.each([
    { name: 'JSON null', res: () => new Response('null', { status: 200 }), want: null },
    { name: 'empty body', res: () => new Response('', { status: 200 }), want: null },
    { name: 'object', res: () => json({ version: 'dev' }), want: { version: 'dev' } },
  ])('200 with $name resolves to the decoded value', async ({ res, want }) => {
    stubFetch(res());
    await expect(call('System.Health')).resolves.toEqual(want);
  });

  it.each([
    {
      name: 'JSON error field',
      res: () => json({ error: 'health: docker ping: context deadline exceeded' }, { status: 500, statusText: 'Internal Server Error' }),
      want: 'health: docker ping: context deadline exceeded',
    },
    {
      name: 'unauthorised with error field',
      res: () => json({ error: 'unauthorized' }, { status: 401, statusText: 'Unauthorized' }),
      want: 'unauthorized',
    },
    {
      name: 'HTML body falls back to the status text',
      res: () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
      want: 'Bad Gateway',
    },
    {
      name: 'JSON without error field falls back to the status text',
      res: () => json({ message: 'nope' }, { status: 403, statusText: 'Forbidden' }),
      want: 'Forbidden',
    },
    {
      name: 'empty error field falls back to the status text',
      res: () => json({ error: '' }, { status: 400, statusText: 'Bad Request' }),
      want: 'Bad Request',
    },
    {
      name: 'no body and no status text',
      res: () => new Response(null, { status: 404 }),
      want: 'HTTP 404',
    },
  ])('non-2xx with $name rejects with "$want"', async ({ res, want }) => {
    stubFetch(res());
    const err = await call('System.Health').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(want);
  });

  it('wraps a network failure', async () => {
    stubFetch(new TypeError('Failed to fetch'));
    await expect(call('System.Health')).rejects.toThrow('cannot reach the Corral backend: Failed to fetch');
  });

  it('rejects a 200 whose body is not JSON', async () => {
    stubFetch(new Response('<html></html>', { status: 200 }));
    await expect(call('System.Health')).rejects.toThrow('System.Health: response is not JSON');
  });

  it.each(['Health', '.Health', 'System.', 'a.b.c', ''])('rejects the malformed name %j without fetching', async (name) => {
    const fetchFn = stubFetch(json(null));
    await expect(call(name)).rejects.toThrow('invalid method name');
    expect(fetchFn).not.toHaveBeenCalled();
  });
});

describe('errorMessage', () => {
  it('reads the error field', async () => {
    expect(await errorMessage(json({ error: 'x' }, { status: 500 }))).toBe('x');
  });
});

describe('toError', () => {
  it.each([
    { name: 'Error', in: new Error('e'), want: 'e' },
    { name: 'string', in: 's', want: 's' },
    { name: 'object with message', in: { message: 'm' }, want: 'm' },
    { name: 'number', in: 42, want: '42' },
  ])('$name', ({ in: input, want }) => {
    const err = toError(input);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(want);
  });

  it('returns the same Error instance', () => {
    const e = new Error('same');
    expect(toError(e)).toBe(e);
  });
});
