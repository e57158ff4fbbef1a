import { type ChildProcess, fork } from 'node:child_process';

/**
 * The benchmark runs the measured code in its own process, so the load generator, the sandbox and the
 * scripted model (which stay in the parent) do not share its event loop: on 2 cores, one each.
 */
export interface ChildProcessClient {
  call<T>(method: string, parameters?: unknown): Promise<T>;
  /** Asks the child to close what it opened and waits for it to exit. */
  stop(): Promise<void>;
}

interface RpcRequest {
  id: number;
  method: string;
  parameters: unknown;
}

const CLOSE_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;

type RpcResponse = { id: number; result: unknown } | { id: number; error: string };

export function startChildProcess(options: { entry: string; nodeFlags?: string[] }): ChildProcessClient {
  const child: ChildProcess = fork(options.entry, [], {
    // tsx as a loader so the child runs TypeScript too; --expose-gc for the memory figures.
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: RpcResponse) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if ('error' in message) waiter.reject(new Error(message.error));
    else waiter.resolve(message.result);
  });
  child.once('exit', (code) => {
    for (const waiter of pending.values())
      waiter.reject(new Error(`${options.entry} exited with code ${code}`));
    pending.clear();
  });
  return {
    call<T>(method: string, parameters?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, method, parameters } satisfies RpcRequest);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A child whose start failed may never answer `close`: give it 10 s, then 5 s to exit, then kill it.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      });
      await Promise.race([this.call('close').catch(() => undefined), gaveUp]);
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      const kill = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(kill);
    },
  };
}

/** The child's side: answers each request with its handler's result; `close` runs last and ends the IPC. */
export function serveParent(handlers: Record<string, (parameters: any) => unknown>): void {
  process.on('message', async (request: RpcRequest) => {
    try {
      const handler = handlers[request.method];
      if (!handler) throw new Error(`unknown method ${request.method}`);
      const result = await handler(request.parameters);
      process.send?.({ id: request.id, result: result ?? null } satisfies RpcResponse);
    } catch (error: unknown) {
      process.send?.({
        id: request.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies RpcResponse);
    }
  });
}
