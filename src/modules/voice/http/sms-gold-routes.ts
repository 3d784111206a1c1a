import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse, keyedErrorResponses } from '../../../server/schemas.js';
import { typed } from '../../../server/type-provider.js';
import type { VoiceServices } from '../services.js';
import { invalid } from '../validate.js';
import {
  GoldHistoryQuery,
  GoldHistoryView,
  GoldPriceView,
  PhoneQuery,
  SendSmsBody,
  SmsView,
} from './schemas.js';
import { goldHistoryView, goldPriceView, smsView } from './views.js';

const err = Type.Ref(ErrorResponse);
const NextPageToken = Type.Union([Type.String(), Type.Null()]);

export function smsRoutes(app: FastifyInstance, services: VoiceServices): void {
  const r = typed(app);
  const tags = ['voice sms'];

  r.post(
    '/voice/sms',
    {
      config: { scope: 'write' },
      schema: {
        operationId: 'voice.sendSms',
        tags,
        summary: 'Send an SMS (simulated): stored, then queued → simulated_sent → delivered',
        body: SendSmsBody,
        response: { 201: SmsView, ...keyedErrorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(smsView(await services.sms.send(request.body))),
  );

  r.get(
    '/voice/sms',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.listSms',
        tags,
        summary: 'SMS sent to a phone, newest first, in pages',
        querystring: PhoneQuery,
        response: {
          200: Type.Object({ messages: Type.Array(SmsView), nextPageToken: NextPageToken }),
          ...keyedErrorResponses,
        },
      },
    },
    async (request) => {
      const { phone, limit, pageToken } = request.query;
      const page = await services.sms.listByPhone(phone, { limit, pageToken: pageToken ?? null });
      return { messages: page.messages.map(smsView), nextPageToken: page.nextPageToken };
    },
  );

  r.get(
    '/voice/sms/:messageId',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.getSms',
        tags,
        summary: 'One SMS, by phone and id',
        params: Type.Object({ messageId: Type.String({ minLength: 1, maxLength: 36 }) }),
        querystring: Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }) }),
        response: { 200: SmsView, 404: err, ...keyedErrorResponses },
      },
    },
    async (request) => smsView(await services.sms.get(request.query.phone, request.params.messageId)),
  );
}

export function goldRoutes(app: FastifyInstance, services: VoiceServices): void {
  const r = typed(app);
  const tags = ['voice gold price'];

  r.get(
    '/voice/gold-price',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.getGoldPrice',
        tags,
        summary: 'Current gold price per gram (24k, 22k, 18k) in INR; cached for cache_ttl_seconds',
        response: { 200: GoldPriceView, ...keyedErrorResponses },
      },
    },
    async () => goldPriceView(await services.goldPrice.current()),
  );

  r.get(
    '/voice/gold-price/history',
    {
      config: { scope: 'read' },
      schema: {
        operationId: 'voice.getGoldPriceHistory',
        tags,
        summary:
          'Hourly price history: one day (?date=) or a range of up to 31 days (?from=&to=; from alone runs until today), newest first',
        querystring: GoldHistoryQuery,
        response: { 200: Type.Object({ prices: Type.Array(GoldHistoryView) }), ...keyedErrorResponses },
      },
    },
    async (request) => {
      const { date, from, to } = request.query;
      let prices;
      if (date !== undefined) {
        if (from !== undefined || to !== undefined)
          throw invalid('querystring.date', 'cannot be combined with from/to');
        prices = await services.goldPrice.day(date);
      } else {
        if (from === undefined) throw invalid('from', 'is required (or give date)');
        prices = await services.goldPrice.history(from, to);
      }
      return { prices: prices.map(goldHistoryView) };
    },
  );
}
