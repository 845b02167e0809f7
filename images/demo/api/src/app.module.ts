import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { HealthController } from './health.controller';
import { MqService } from './mq.service';
import { RedisService } from './redis.service';

@Module({
  controllers: [HealthController, EventsController],
  providers: [RedisService, MqService],
})
export class AppModule {}
