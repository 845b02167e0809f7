import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import * as amqp from 'amqplib';
import { reason, requireEnv, within } from './config';

export const QUEUE = 'events';

type Conn = Awaited<ReturnType<typeof amqp.connect>>;

// One AMQP connection and one confirm channel, made again after RabbitMQ
// closes them (a restart, a lost connection). The API starts and answers
// while RabbitMQ is away: /health says why it is not healthy, and
// publishing answers 503.
@Injectable()
export class MqService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('mq');
  private readonly url = requireEnv('RABBITMQ_URL');
  private conn?: Conn;
  private channel?: amqp.ConfirmChannel;
  private lastError = 'not connected yet';
  private retry?: NodeJS.Timeout;
  private delay = 500;
  private closing = false;

  onModuleInit(): void {
    void this.connect();
  }

  private where(): string {
    const u = new URL(this.url);
    return `${u.host}${u.pathname}`;
  }

  private async connect(): Promise<void> {
    this.retry = undefined;
    try {
      const conn = await amqp.connect(this.url, { timeout: 5000 });
      conn.on('error', (err: Error) => (this.lastError = reason(err)));
      conn.on('close', () => this.lost('the connection closed'));
      const ch = await conn.createConfirmChannel();
      ch.on('error', (err: Error) => (this.lastError = reason(err)));
      ch.on('close', () => this.lost('the channel closed'));
      await ch.assertQueue(QUEUE, { durable: true });
      this.conn = conn;
      this.channel = ch;
      this.delay = 500;
      this.log.log(`connected to ${this.where()}, queue ${QUEUE}`);
    } catch (err) {
      this.lastError = reason(err);
      this.log.warn(`${this.where()}: ${this.lastError}; trying again in ${this.delay} ms`);
      this.schedule();
    }
  }

  private lost(why: string): void {
    if (this.closing || (!this.conn && !this.channel)) return;
    this.log.warn(`${this.where()}: ${why}`);
    if (this.lastError === 'not connected yet' || !this.lastError) this.lastError = why;
    const conn = this.conn;
    this.conn = undefined;
    this.channel = undefined;
    conn?.close().catch(() => {});
    this.schedule();
  }

  private schedule(): void {
    if (this.closing || this.retry) return;
    this.retry = setTimeout(() => void this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 5000);
  }

  // /health: the connection is up and RabbitMQ answers on it now (the
  // queue's declaration, passively: nothing is created).
  async check(): Promise<string> {
    const ch = this.channel;
    if (!ch) throw new Error(this.lastError);
    await within(2000, 'checkQueue', ch.checkQueue(QUEUE));
    return 'ok';
  }

  async publish(body: unknown): Promise<void> {
    const ch = this.channel;
    if (!ch) throw new Error(this.lastError);
    ch.sendToQueue(QUEUE, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
    });
    await within(5000, 'publish confirm', ch.waitForConfirms());
  }

  // Messages waiting in the queue, or null when RabbitMQ is away.
  async queued(): Promise<number | null> {
    const ch = this.channel;
    if (!ch) return null;
    try {
      return (await within(2000, 'checkQueue', ch.checkQueue(QUEUE))).messageCount;
    } catch {
      return null;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    await this.conn?.close().catch(() => {});
  }
}
