import type { AuthServices } from '../auth/module.js';

/**
 * The services of each module, by module name. A module makes its own entry typed by
 * augmenting this interface next to its definition:
 *
 *   declare module '../../app/services.js' {
 *     interface SwitchboardServices { voice: VoiceServices }
 *   }
 *
 * after which `switchboard.services.voice` and `switchboard.voice` are typed.
 */
export interface SwitchboardServices {
  auth: AuthServices;
}
