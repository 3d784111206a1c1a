import type { ModuleDefinition } from '../module.js';
import { voiceRoutes } from './http/routes.js';
import { createVoiceServices, type VoiceServices } from './services.js';
import { createSmsDeliveryWorker } from './sms/delivery-worker.js';
import { voiceTables } from './tables.js';

/** The gold-loan voice agent's data: sessions with memory, simulated SMS, gold prices, appointments. */
export const voiceModule: ModuleDefinition<VoiceServices> = {
  name: 'voice',
  tables: voiceTables,
  createServices: (context) => createVoiceServices(context),
  routes: voiceRoutes,
  workers: (services, context) => [
    createSmsDeliveryWorker(services.sms, {
      pollMs: context.config.voice.sms.delivery_poll_ms,
      logger: context.logger.child({ module: 'voice', worker: 'sms-delivery' }),
    }),
  ],
};

export { createVoiceServices, type VoiceServices, type VoiceServiceOptions } from './services.js';
export type { VoiceSession, CreateSessionInput, UpdateSessionInput } from './sessions/service.js';
export type { SmsMessage, SendSmsInput, SmsType, SmsStatus } from './sms/types.js';
export type { SmsProvider, OutgoingSms } from './sms/provider.js';
export type { GoldPrice, GoldHistoryEntry } from './gold/service.js';
export type { Appointment, AppointmentStatus, BookAppointmentInput } from './appointments/service.js';
export { voiceTables } from './tables.js';

declare module '../../app/services.js' {
  interface SwitchboardServices {
    voice: VoiceServices;
  }
}
