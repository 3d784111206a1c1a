import { authSection } from '../auth/config.js';
import { eventLogSection, kafkaSection } from '../ports/event-log/config.js';
import { redisSection } from '../ports/hot-state/config.js';
import { postgresSection } from '../ports/relational/config.js';
import { serverSection } from '../server/config.js';
import { voiceSection } from '../modules/voice/config.js';
import { messagingSection } from '../modules/messaging/config.js';
import { interactionsSection } from '../modules/interactions/config.js';
import { callcenterSection } from '../modules/callcenter/config.js';
import { conversationsSection } from '../modules/conversations/config.js';
import type { Section } from './fields.js';

/**
 * Sections owned by the platform ports and domain modules. Each owner exports its section
 * from its own folder and adds one line here, so the loader sees the whole schema.
 */
export const moduleSections = {
  server: serverSection,
  auth: authSection,
  postgres: postgresSection,
  redis: redisSection,
  event_log: eventLogSection,
  kafka: kafkaSection,
  voice: voiceSection,
  messaging: messagingSection,
  interactions: interactionsSection,
  callcenter: callcenterSection,
  conversations: conversationsSection,
} as const satisfies Record<string, Section>;
