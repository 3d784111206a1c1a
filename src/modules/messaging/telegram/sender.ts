import type { Attachment } from '../validation.js';

export interface TelegramSendRequest {
  botId: string;
  chatId: number;
  text: string;
  attachments: Attachment[];
}

/**
 * Hands a message to Telegram and returns the id Telegram gave it. The production
 * implementation would call the Bot API's sendMessage / sendDocument; Switchboard ships the
 * simulated one, and an embedding application can pass its own.
 */
export interface TelegramSender {
  send(request: TelegramSendRequest): Promise<{ messageId: number }>;
}

/**
 * Records what would be sent and answers with a fake message id, counting up per chat from
 * `firstId`, as Telegram's own ids do.
 */
export class SimulatedTelegramSender implements TelegramSender {
  readonly sent: (TelegramSendRequest & { messageId: number })[] = [];
  private readonly nextIds = new Map<number, number>();

  constructor(private readonly firstId = 500_000) {}

  async send(request: TelegramSendRequest): Promise<{ messageId: number }> {
    const messageId = this.nextIds.get(request.chatId) ?? this.firstId;
    this.nextIds.set(request.chatId, messageId + 1);
    this.sent.push({ ...request, attachments: [...request.attachments], messageId });
    return { messageId };
  }
}
