import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { SwitchboardConfig } from '../../../config/index.js';

const SASL_MECHANISMS = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const;

/** Connection options every @platformatic/kafka client of the adapter shares, from `[kafka]`. */
export function baseClientOptions(config: SwitchboardConfig, role: string): BaseOptions {
  const k = config.kafka;
  const options: BaseOptions = {
    clientId: `${k.client_id}-${role}`,
    bootstrapBrokers: k.brokers,
    timeout: k.request_timeout_ms,
    connectTimeout: k.request_timeout_ms,
    // A few quick retries ride out a leader move; longer outages surface as STORE_UNAVAILABLE.
    retries: 3,
    retryDelay: 250,
    autocreateTopics: false,
  };
  if (k.sasl_mechanism !== 'none') {
    const sasl: SASLOptions = { mechanism: SASL_MECHANISMS[k.sasl_mechanism] };
    if (k.sasl_username !== undefined) sasl.username = k.sasl_username;
    if (k.sasl_password !== undefined) sasl.password = k.sasl_password;
    options.sasl = sasl;
  }
  if (k.ssl) options.tls = {};
  return options;
}
