import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Registry } from 'prom-client';
import { errors } from '../shared/errors.js';
import { sha256 } from '../shared/secret-box.js';

/**
 * `GET /metrics` in Prometheus text format for a scraper holding `METRICS_TOKEN` as its bearer token.
 * Mounted only when the token is set (unset: the route does not exist, 404). The token is compared as
 * SHA-256 digests in constant time: equal lengths, and no early exit that times out how much matched.
 */
export function createMetricsRoutes({ token, registry }: { token: string; registry: Registry }) {
  const expected = Buffer.from(sha256(token), 'hex');
  const router = Router();
  router.get('/metrics', async (request, response) => {
    const presented = /^Bearer\s+(\S+)$/i.exec(request.get('authorization') ?? '')?.[1];
    if (!presented || !timingSafeEqual(Buffer.from(sha256(presented), 'hex'), expected))
      throw errors.unauthorized(
        'A valid metrics token is required: send Authorization: Bearer $METRICS_TOKEN.',
      );
    response.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
