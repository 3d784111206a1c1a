import type { FastifyInstance } from 'fastify';
import type { VoiceServices } from '../services.js';
import { appointmentRoutes } from './appointment-routes.js';
import { sessionRoutes } from './session-routes.js';
import { goldRoutes, smsRoutes } from './sms-gold-routes.js';

/** Every voice route, mounted by the server under /v1. */
export function voiceRoutes(app: FastifyInstance, services: VoiceServices): void {
  sessionRoutes(app, services);
  smsRoutes(app, services);
  goldRoutes(app, services);
  appointmentRoutes(app, services);
}
