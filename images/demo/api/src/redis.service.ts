import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { reason, requireEnv, within } from './config';

const COUNT_KEY = 'events:count';
const LIST_KEY = 'events';
const KEEP = 1000; // events kept in the list; the count is of all of them

@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly log = new Logger('redis');
  private readonly url = new URL(requireEnv('REDIS_URL'));
  // One connection for the requests. It reconnects by itself (ioredis's
  // back-off, at most 2 s apart) after Redis restarts; meanwhile commands
  // fail at once (no offline queue) and the request answers 503 instead
  // of hanging.
  private readonly client: Redis;

  constructor() {
    this.client = new Redis(this.url.toString(), {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    this.client.on('ready', () => this.log.log(`connected to ${this.url.host}`));
    this.client.on('error', (err) => this.log.warn(`${this.url.host}: ${reason(err)}`));
  }

  // /health: AUTH and PING on a connection of its own, made now, so the
  // answer says whether Redis takes this password at this moment and not
  // what a long-lived connection remembers.
  async check(): Promise<string> {
    const probe = new Redis({
      host: this.url.hostname,
      port: Number(this.url.port || 6379),
      lazyConnect: true,
      // no INFO before AUTH (it would fail NOAUTH and close the connection)
      enableReadyCheck: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
    });
    probe.on('error', () => {}); // reported through the promises below
    try {
      await within(2000, 'connect', probe.connect());
      await within(2000, 'AUTH', probe.auth(decodeURIComponent(this.url.password)));
      const pong = await within(2000, 'PING', probe.ping());
      if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
      return 'ok';
    } finally {
      probe.disconnect();
    }
  }

  async add(event: unknown): Promise<number> {
    const res = await this.client
      .multi()
      .incr(COUNT_KEY)
      .lpush(LIST_KEY, JSON.stringify({ at: new Date().toISOString(), event }))
      .ltrim(LIST_KEY, 0, KEEP - 1)
      .exec();
    if (!res) throw new Error('the transaction was discarded');
    const [err, count] = res[0];
    if (err) throw err;
    return Number(count);
  }

  async count(): Promise<number> {
    return Number((await this.client.get(COUNT_KEY)) ?? 0);
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }
}
