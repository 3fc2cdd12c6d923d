import * as grpc from '@grpc/grpc-js';
import * as healthCheck from 'grpc-health-check';
import { createServer } from 'node:net';

type HealthClient = grpc.Client & {
  check(
    request: object,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void,
  ): void;
  list(
    request: object,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: { statuses: Record<string, { status: string }> }) => void,
  ): void;
  watch(request: object): grpc.ClientReadableStream<{ status: string }>;
};

const Health = grpc.makeClientConstructor(
  healthCheck.service as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (address: string, credentials: grpc.ChannelCredentials) => HealthClient;

const deadline = (ms = 15_000) => ({ deadline: Date.now() + ms });

/** A real `@grpc/grpc-js` client of `grpc.health.v1.Health`. */
export function healthClient(address: string) {
  const client = new Health(address, grpc.credentials.createInsecure());
  /** What `Check` answers: the status or the name of its error code (`NOT_FOUND`), and the error's message. */
  const answer = (service: string, deadlineMs?: number) =>
    new Promise<{ status: string; details: string }>((resolve) =>
      client.check({ service }, deadline(deadlineMs), (error, reply) =>
        resolve(
          error ? { status: grpc.status[error.code], details: error.details } : { status: reply!.status, details: '' },
        ),
      ),
    );
  return {
    /** The status `Check` answers, or the name of its error code (`NOT_FOUND`). */
    check: async (service: string) => (await answer(service)).status,
    answer,
    list: () =>
      new Promise<Record<string, string>>((resolve, reject) =>
        client.list({}, deadline(), (error, reply) =>
          error
            ? reject(error)
            : resolve(Object.fromEntries(Object.entries(reply!.statuses).map(([name, { status }]) => [name, status]))),
        ),
      ),
    watch: (service: string) => watchStream(client.watch({ service })),
    close: () => client.close(),
  };
}

/** A `Watch` stream read one message at a time; `ended` settles with the code the stream ended with. */
function watchStream(call: grpc.ClientReadableStream<{ status: string }>) {
  const received: string[] = [];
  const waiting: ((status: string) => void)[] = [];
  call.on('data', ({ status }: { status: string }) => {
    const next = waiting.shift();
    if (next) next(status);
    else received.push(status);
  });
  const ended = new Promise<string>((resolve) => {
    call.on('error', (error: grpc.ServiceError) => resolve(grpc.status[error.code]));
    call.on('end', () => resolve('OK'));
  });
  return {
    /** The next status the stream sends. */
    next: () =>
      new Promise<string>((resolve) => {
        const status = received.shift();
        if (status !== undefined) resolve(status);
        else waiting.push(resolve);
      }),
    /** Reads until `status` arrives; returns everything read on the way. */
    async until(status: string): Promise<string[]> {
      const seen: string[] = [];
      for (;;) {
        const got = await this.next();
        seen.push(got);
        if (got === status) return seen;
      }
    },
    ended,
    cancel: () => call.cancel(),
  };
}

/** A TCP port free on 127.0.0.1 a moment ago, for servers that cannot report the port they bound (Nest's gRPC transport). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits (on timers, polling) until `condition` holds; fails after `limitMs`. */
export async function until(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
