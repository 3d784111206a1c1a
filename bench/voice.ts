import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createSwitchboard, type Switchboard } from '../src/app/create-switchboard.js';
import { applySchema } from '../src/app/schema.js';
import { loadConfig } from '../src/config/index.js';
import { zonedParts, addDays } from '../src/modules/voice/zoned-time.js';
import {
  appointmentSlotCustomers,
  appointmentSlots,
  appointments,
  appointmentsByBranchDate,
  appointmentsById,
  sessions,
  smsBySession,
  smsMessages,
  smsPending,
  voiceTables,
} from '../src/modules/voice/tables.js';
import { pendingBucket } from '../src/modules/voice/sms/repository.js';
import { createEmbeddedEngine } from '../src/ports/wide-column/embedded/engine.js';
import { batchOp, type WideColumnEngine } from '../src/ports/wide-column/engine.js';
import { createMetricsRegistry } from '../src/shared/metrics.js';
import { timeUuid } from '../src/shared/timeuuid.js';
import { costRatio, formatTable, measure, recordResults, type ScenarioResult } from './lib.js';

/**
 * The voice suite: one simulated call turn (read the session, update its memory, read the
 * gold price, book an appointment on every 10th turn, send an SMS), measured as turns/s and
 * p99 through the voice services on the embedded store, and in the same run the same store
 * operations issued straight on the embedded engine (no validation, phone parsing, segment
 * counting, JSON checks or error mapping). The ratio is the service layer's cost per turn.
 */

const SUITE = 'voice';
const SESSIONS = 200;
const TURNS = 5_000;
const ROUNDS = 2;
const BOOK_EVERY = 10;
const BRANCH = {
  id: 'bench-branch',
  name: 'Bench Branch',
  city: 'Bengaluru',
  opens: '09:00',
  closes: '18:00',
  slot_minutes: 30,
  capacity: 1000,
};
const SLOTS = Array.from(
  { length: 18 },
  (_, k) => `${String(9 + Math.floor(k / 2)).padStart(2, '0')}:${k % 2 ? '30' : '00'}`,
);
const today = zonedParts(new Date(), 'Asia/Kolkata').date;

const sessionId = (i: number) => `bench-session-${i % SESSIONS}`;
/** A distinct valid Indian mobile per turn, so bookings never collide. */
const phoneOf = (i: number) => `+919${String(100_000_000 + i).slice(-9)}`;
const slotOf = (i: number) => ({ date: addDays(today, 1 + (i % 60)), time: SLOTS[i % SLOTS.length]! });

async function serviceSubject(
  dir: string,
): Promise<{ switchboard: Switchboard; turn: (i: number) => Promise<void> }> {
  const config = loadConfig({
    path: undefined,
    env: {
      SWITCHBOARD_STORE_DATA_DIR: dir,
      SWITCHBOARD_VOICE_BRANCHES: JSON.stringify([BRANCH]),
      SWITCHBOARD_VOICE_SMS_LOG_MESSAGES: 'false',
      SWITCHBOARD_VOICE_GOLD_PRICE_SEED: '1',
    },
  });
  const switchboard = await createSwitchboard(config, { logger: pino({ level: 'silent' }) });
  await applySchema(switchboard);
  const voice = switchboard.voice;
  for (let s = 0; s < SESSIONS; s += 1) {
    await voice.sessions.create({ sessionId: sessionId(s), customerPhone: phoneOf(s), memory: { turns: 0 } });
  }
  const turn = async (i: number) => {
    const id = sessionId(i);
    const session = await voice.sessions.get(id);
    await voice.sessions.writeMemory(id, { turns: i, lastIntent: 'gold_loan' }, session.memoryVersion);
    const price = await voice.goldPrice.current();
    if (i % BOOK_EVERY === 0) {
      const { date, time } = slotOf(i);
      await voice.appointments.book({
        customerName: 'Bench Caller',
        customerPhone: phoneOf(i),
        branchId: BRANCH.id,
        date,
        time,
        sessionId: id,
      });
    }
    await voice.sms.send({
      phone: session.customerPhone ?? phoneOf(i),
      text: `22k gold is Rs ${price.price22k}/g today. Reply YES to book a visit.`,
      type: 'follow_up',
      sessionId: id,
    });
  };
  return { switchboard, turn };
}

/** The same store operations, straight on the engine. */
async function engineSubject(
  dir: string,
): Promise<{ engine: WideColumnEngine; turn: (i: number) => Promise<void> }> {
  const engine = await createEmbeddedEngine({
    path: join(dir, 'engine.db'),
    registry: createMetricsRegistry(),
  });
  await engine.applySchema(voiceTables);
  const now = Date.now();
  const expiresAt = new Date(now + 86_400_000);
  for (let s = 0; s < SESSIONS; s += 1) {
    await engine.insert(
      sessions,
      {
        session_id: sessionId(s),
        created_at: new Date(now),
        updated_at: new Date(now),
        expires_at: expiresAt,
        customer_phone: phoneOf(s),
        memory_json: '{"turns":0}',
        memory_version: 1,
      },
      { ttlSeconds: 86_400, ifNotExists: true },
    );
  }
  // The service holds the price in memory while fresh: no store operation per turn either.
  const price22k = '7500.00';
  const sendSms = async (phone: string, id: string, text: string) => {
    const messageId = timeUuid();
    const at = new Date();
    await engine.batch([
      batchOp.insert(smsMessages, {
        phone_number: phone,
        message_id: messageId,
        session_id: id,
        message_text: text,
        message_type: 'follow_up',
        status: 'queued',
        created_at: at,
        segments: 1,
        encoding: 'GSM-7',
      }),
      batchOp.insert(smsBySession, { session_id: id, message_id: messageId, phone_number: phone }),
    ]);
    await engine.batch([
      batchOp.update(
        smsMessages,
        { phone_number: phone, message_id: messageId },
        { status: 'simulated_sent', sent_at: at, provider: 'simulated' },
      ),
      batchOp.insert(smsPending, {
        bucket: pendingBucket(messageId),
        due_at: new Date(at.getTime() + 2000),
        message_id: messageId,
        phone_number: phone,
      }),
    ]);
    return messageId;
  };
  const turn = async (i: number) => {
    const id = sessionId(i);
    const row = await engine.get(sessions, { session_id: id });
    const version = row!.memory_version!;
    const ttl = Math.ceil((row!.expires_at!.getTime() - Date.now()) / 1000);
    await engine.update(
      sessions,
      { session_id: id },
      {
        memory_json: JSON.stringify({ turns: i, lastIntent: 'gold_loan' }),
        memory_version: version + 1,
        updated_at: new Date(),
        expires_at: row!.expires_at,
      },
      { ttlSeconds: ttl, if: { memory_version: version } },
    );
    const phone = row!.customer_phone ?? phoneOf(i);
    if (i % BOOK_EVERY === 0) {
      const { date, time } = slotOf(i);
      const slot = { branch_id: BRANCH.id, appointment_date: date, appointment_time: time };
      const appointmentId = timeUuid();
      const customer = phoneOf(i);
      await engine.get(sessions, { session_id: id });
      await engine.insert(
        appointmentSlotCustomers,
        { ...slot, customer_phone: customer, appointment_id: appointmentId },
        { ifNotExists: true },
      );
      const taken = await engine.slice(appointmentSlots, { key: slot, limit: BRANCH.capacity });
      const seat = taken.rows.length + 1;
      await engine.insert(
        appointmentSlots,
        { ...slot, seat, appointment_id: appointmentId },
        { ifNotExists: true },
      );
      const smsId = timeUuid();
      await engine.batch([
        batchOp.insert(appointments, {
          customer_phone: customer,
          appointment_id: appointmentId,
          session_id: id,
          customer_name: 'Bench Caller',
          ...slot,
          branch_name: BRANCH.name,
          status: 'scheduled',
          created_at: new Date(),
          updated_at: new Date(),
          confirmation_sms_id: smsId,
          seat,
        }),
        batchOp.insert(appointmentsById, { appointment_id: appointmentId, customer_phone: customer }),
        batchOp.insert(appointmentsByBranchDate, {
          ...slot,
          appointment_id: appointmentId,
          customer_phone: customer,
          customer_name: 'Bench Caller',
          status: 'scheduled',
        }),
      ]);
      await sendSms(customer, id, `Dear Bench Caller, your visit is booked for ${date} at ${time}.`);
    }
    await sendSms(phone, id, `22k gold is Rs ${price22k}/g today. Reply YES to book a visit.`);
  };
  return { engine, turn };
}

function best(results: ScenarioResult[]): ScenarioResult {
  return results.reduce((a, b) => (b.opsPerSecond > a.opsPerSecond ? b : a));
}

export async function run(): Promise<void> {
  const serviceRuns: ScenarioResult[] = [];
  const engineRuns: ScenarioResult[] = [];
  const scenario = `call turn (1 in ${BOOK_EVERY} books)`;
  for (let round = 0; round < ROUNDS; round += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-voice-'));
    try {
      const base = await engineSubject(join(dir, 'engine'));
      engineRuns.push(
        await measure(
          { suite: SUITE, scenario, subject: 'engine baseline', iterations: TURNS, warmup: 200 },
          base.turn,
        ),
      );
      await base.engine.close();
      const svc = await serviceSubject(join(dir, 'service'));
      serviceRuns.push(
        await measure(
          { suite: SUITE, scenario, subject: 'switchboard voice services', iterations: TURNS, warmup: 200 },
          svc.turn,
        ),
      );
      await svc.switchboard.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const service = best(serviceRuns);
  const engine = best(engineRuns);
  const ratio = costRatio(service, engine);
  const table = formatTable([service, engine]);
  const body = `${table}\n\nBest of ${ROUNDS} rounds of ${TURNS} turns over ${SESSIONS} sessions, embedded store (WAL SQLite), one turn at a time. A turn: read session, conditional memory write, gold price (cached in memory), 1 in ${BOOK_EVERY} books an appointment (session check, customer claim, seat claim, 3-table batch, confirmation SMS), send a follow-up SMS (two batches). The engine baseline issues the same store operations without the service layer. Service cost per turn: ${ratio.toFixed(2)}x the engine's.`;
  console.log(body);
  recordResults(SUITE, body);
}
