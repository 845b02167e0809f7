import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { reason } from './config';
import { MqService } from './mq.service';
import { RedisService } from './redis.service';

interface Health {
  status: 'ok' | 'unavailable';
  redis: string;
  rabbitmq: string;
}

// GET /health: 200 only when Redis takes the password and answers PING
// and RabbitMQ answers on the API's connection; otherwise 503, with the
// reason of each that failed.
@Controller('health')
export class HealthController {
  constructor(
    private readonly redis: RedisService,
    private readonly mq: MqService,
  ) {}

  @Get()
  async health(): Promise<Health> {
    const [redis, rabbitmq] = await Promise.all([
      this.redis.check().catch((err) => `down: ${reason(err)}`),
      this.mq.check().catch((err) => `down: ${reason(err)}`),
    ]);
    if (redis !== 'ok' || rabbitmq !== 'ok')
      throw new ServiceUnavailableException({ status: 'unavailable', redis, rabbitmq } satisfies Health);
    return { status: 'ok', redis, rabbitmq };
  }
}
