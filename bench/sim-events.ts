/**
 * A subscriber to the simulator's request events (`GET /_sim/events`, server-sent events). Each event is
 * stamped with `performance.now()` of this process when its bytes arrive, the same clock the bench uses to
 * stamp API answers, so "applied" minus "answered" needs no clock agreement between processes.
 */
import http from 'node:http';

export interface SimEvent {
  seq: number;
  /** Simulator clock, epoch ms. */
  at: number;
  method: string;
  route: string | null;
  path: string;
  status: number;
  /** The simulator tenant that served the request (a multi-tenant simulator names it; absent otherwise). */
  tenant?: string;
}

export interface ArrivedEvent extends SimEvent {
  /** `performance.now()` in this process when the event arrived. */
  arrivedAt: number;
  /** The same moment as epoch ms (`performance.timeOrigin + arrivedAt`), to compare with `at`. */
  arrivedEpoch: number;
}

type Listener = (event: ArrivedEvent) => void;

export class SimEventStream {
  private readonly listeners = new Set<Listener>();
  private buffer = '';
  private closed = false;
  /** Events received since the stream opened. */
  received = 0;

  private constructor(private readonly req: http.ClientRequest) {}

  /** Opens the stream; resolves once the simulator has confirmed the subscription (`open` event). */
  static open(simUrl: string, methods = 'all'): Promise<SimEventStream> {
    return new Promise((resolve, reject) => {
      const url = new URL(`/_sim/events?methods=${encodeURIComponent(methods)}`, simUrl);
      const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } });
      const stream = new SimEventStream(req);
      let opened = false;
      req.once('error', (err) => {
        if (!opened) reject(err);
      });
      req.once('response', (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET /_sim/events answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.socket.setNoDelay(true);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const arrivedAt = performance.now();
          stream.buffer += chunk;
          let end: number;
          while ((end = stream.buffer.indexOf('\n\n')) >= 0) {
            const block = stream.buffer.slice(0, end);
            stream.buffer = stream.buffer.slice(end + 2);
            if (block.startsWith('event: open')) {
              opened = true;
              resolve(stream);
              continue;
            }
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (!data) continue;
            const event = JSON.parse(data.slice(6)) as SimEvent;
            stream.received++;
            const arrived: ArrivedEvent = { ...event, arrivedAt, arrivedEpoch: performance.timeOrigin + arrivedAt };
            for (const listener of stream.listeners) listener(arrived);
          }
        });
        res.once('end', () => {
          if (!stream.closed) process.stderr.write('bench: the simulator event stream ended unexpectedly\n');
        });
      });
    });
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the first event from now on that `match` accepts. Subscribe (call this) before the
   * action that causes the event, so an early event is never missed.
   */
  next(match: (event: SimEvent) => boolean, timeoutMs: number, what: string): Promise<ArrivedEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no simulator event for ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on((event) => {
        if (!match(event)) return;
        clearTimeout(timer);
        off();
        resolve(event);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.req.destroy();
  }
}
