/**
 * Where an SMS goes once it is stored. A real gateway implements this interface and is
 * passed to `createVoiceServices({ smsProvider })`; callers of the SMS service never change.
 */
export interface OutgoingSms {
  messageId: string;
  /** E.164. */
  to: string;
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

export interface SmsProvider {
  readonly name: string;
  /**
   * True for the simulation: the message is never sent, and the delivery worker decides its
   * fate after `delivery_delay_ms`. A real gateway reports delivery on its own channel.
   */
  readonly simulated: boolean;
  /** Hands the message over; resolves once accepted, rejects when refused. */
  send(message: OutgoingSms): Promise<{ providerMessageId: string | null }>;
}

/** Accepts every message at once and sends nothing. */
export const simulatedSmsProvider: SmsProvider = {
  name: 'simulated',
  simulated: true,
  async send(message) {
    return { providerMessageId: `sim-${message.messageId}` };
  },
};
