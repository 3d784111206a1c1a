import type { FastifyInstance } from 'fastify';
import type { SwitchboardContext } from '../../module.js';
import type { CallCenterServices } from '../services.js';
import { agentRoutes } from './agent-routes.js';
import { callRoutes } from './call-routes.js';
import { callcenterEventsRoute } from './events-route.js';
import { reportRoutes } from './report-routes.js';

/** Every call-center route, mounted by the server under /v1. */
export function callcenterRoutes(
  app: FastifyInstance,
  services: CallCenterServices,
  context: SwitchboardContext,
): void {
  agentRoutes(app, services);
  callRoutes(app, services);
  reportRoutes(app, services);
  callcenterEventsRoute(app, services, context);
}
