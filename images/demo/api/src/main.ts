// The demo API: NestJS on Node.js, Redis and RabbitMQ behind it.
// Configured by the environment only, as the shipped conf.d/api.conf
// sets it: PORT, REDIS_URL, RABBITMQ_URL.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
  // SIGTERM (passed on by the container's init) closes the connections
  // and the HTTP server, then node exits: a stop takes no stop_timeout.
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3001);
  await app.listen(port, '0.0.0.0');
  new Logger('main').log(`listening on :${port}`);
}

bootstrap().catch((err: unknown) => {
  console.error('api: cannot start:', err);
  process.exit(1);
});
