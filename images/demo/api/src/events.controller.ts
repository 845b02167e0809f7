import { Body, Controller, Get, HttpCode, HttpException, HttpStatus, Post } from '@nestjs/common';
import { reason } from './config';
import { MqService } from './mq.service';
import { RedisService } from './redis.service';

@Controller('api/events')
export class EventsController {
  constructor(
    private readonly redis: RedisService,
    private readonly mq: MqService,
  ) {}

  // POST /api/events: the event (a JSON object) is counted and kept in
  // Redis, then published to the RabbitMQ queue "events" and confirmed.
  @Post()
  @HttpCode(HttpStatus.CREATED)
  async add(@Body() body: unknown): Promise<{ count: number; published: true }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new HttpException('the body must be a JSON object', HttpStatus.BAD_REQUEST);
    let count: number;
    try {
      count = await this.redis.add(body);
    } catch (err) {
      throw new HttpException(`redis: ${reason(err)}`, HttpStatus.SERVICE_UNAVAILABLE);
    }
    try {
      await this.mq.publish({ count, event: body });
    } catch (err) {
      // Stored, not published: said so, for the client to retry or not.
      throw new HttpException(
        { statusCode: 503, message: `rabbitmq: ${reason(err)}`, count, published: false },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    return { count, published: true };
  }

  // GET /api/events/count: the count Redis holds, and the messages
  // waiting in the queue (null when RabbitMQ is away).
  @Get('count')
  async count(): Promise<{ count: number; queued: number | null }> {
    let count: number;
    try {
      count = await this.redis.count();
    } catch (err) {
      throw new HttpException(`redis: ${reason(err)}`, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { count, queued: await this.mq.queued() };
  }
}
