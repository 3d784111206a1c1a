import { Type } from '@sinclair/typebox';
import { AGENT_STATUSES, CALL_STATES } from '../types.js';
import {
  ID_PATTERN,
  MAX_CALLS_PER_AGENT,
  MAX_LEVEL,
  MAX_PRIORITY,
  MAX_SKILLS,
  NAME_PATTERN,
} from '../validate.js';

/**
 * TypeBox schemas of the call-center routes. The limits the services enforce (id and name
 * patterns, ranges, at most 32 skills) are stated here too, so the published OpenAPI tells a
 * client, and a generated client can check, what is accepted; the services check again and
 * answer what a schema cannot say with the catalogue's specific code (INVALID_PHONE,
 * SKILLS_NOT_MATCHED...) and the field at fault.
 */

const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 128, pattern: ID_PATTERN, examples: ['agent-42'] });
const CallId = Type.String({ minLength: 1, maxLength: 128, pattern: ID_PATTERN, examples: ['call-7f3a9c'] });
const Name = Type.String({ minLength: 1, maxLength: 64, pattern: NAME_PATTERN, examples: ['billing'] });
const Skills = Type.Record(
  Type.String({ pattern: NAME_PATTERN }),
  Type.Integer({ minimum: 1, maximum: MAX_LEVEL }),
  {
    maxProperties: MAX_SKILLS,
    description: `Skill names (as queue names) and levels from 1 to ${MAX_LEVEL}, at most ${MAX_SKILLS}`,
    examples: [{ billing: 3, spanish: 5 }],
  },
);
const MaxCalls = Type.Integer({ minimum: 1, maximum: MAX_CALLS_PER_AGENT });
const Priority = Type.Integer({ minimum: 0, maximum: MAX_PRIORITY, description: 'Higher is served first' });
const Status = Type.Union(AGENT_STATUSES.map((s) => Type.Literal(s)));
const CallState = Type.Union(CALL_STATES.map((s) => Type.Literal(s)));

export const AgentParams = Type.Object({ agentId: Id });
export const CallParams = Type.Object({ callId: CallId });
export const QueueParams = Type.Object({ queue: Name });

export const AgentView = Type.Object(
  {
    agentId: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    skills: Skills,
    maxCalls: Type.Integer(),
    status: Status,
    availableSince: NullableDateTime,
    currentCalls: Type.Integer(),
    statusChangedAt: DateTime,
    lastHeartbeatAt: NullableDateTime,
    wrapUpCallId: NullableString,
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  {
    examples: [
      {
        agentId: 'agent-7',
        username: 'priya',
        displayName: 'Priya S.',
        skills: { billing: 3, hindi: 5 },
        maxCalls: 1,
        status: 'available',
        availableSince: '2026-12-07T09:28:00.000Z',
        currentCalls: 0,
        statusChangedAt: '2026-12-07T09:28:00.000Z',
        lastHeartbeatAt: '2026-12-07T09:29:55.000Z',
        wrapUpCallId: null,
        createdAt: '2026-12-01T08:00:00.000Z',
        updatedAt: '2026-12-07T09:28:00.000Z',
      },
    ],
  },
);

export const CreateAgentBody = Type.Object(
  {
    agentId: Id,
    username: Type.String({ minLength: 1, maxLength: 128 }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    skills: Type.Optional(Skills),
    maxCalls: Type.Optional(MaxCalls),
  },
  {
    additionalProperties: false,
    examples: [
      { agentId: 'agent-42', username: 'asha', displayName: 'Asha R.', skills: { billing: 3 }, maxCalls: 1 },
    ],
  },
);

export const UpdateAgentBody = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    skills: Type.Optional(Skills),
    maxCalls: Type.Optional(MaxCalls),
  },
  { additionalProperties: false, examples: [{ skills: { billing: 4, spanish: 2 }, maxCalls: 2 }] },
);

export const StatusBody = Type.Object(
  {
    status: Status,
    /** Going offline with live calls: the calls go back to their queue. */
    force: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, examples: [{ status: 'available' }, { status: 'offline', force: true }] },
);

export const ListAgentsQuery = Type.Object({
  status: Type.Optional(Status),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const QueuedCallView = Type.Object({
  callId: Type.String(),
  queue: Type.String(),
  caller: Type.String(),
  voiceSessionId: NullableString,
  priority: Type.Integer(),
  requiredSkills: Skills,
  enqueuedAt: DateTime,
  transfers: Type.Integer(),
});

export const EnqueueBody = Type.Object(
  {
    callId: CallId,
    queue: Name,
    caller: Type.String({ minLength: 1, maxLength: 20, examples: ['+14155550100'] }),
    voiceSessionId: Type.Optional(Type.Union([Id, Type.Null()])),
    priority: Type.Optional(Priority),
    requiredSkills: Type.Optional(Skills),
  },
  {
    additionalProperties: false,
    examples: [
      {
        callId: 'call-7f3a9c',
        queue: 'billing',
        caller: '+14155550100',
        voiceSessionId: 'call-7f3a9c',
        priority: 5,
        requiredSkills: { billing: 2 },
      },
    ],
  },
);

export const ActiveCallView = Type.Object({
  callId: Type.String(),
  agentId: Type.String(),
  queue: Type.String(),
  caller: Type.String(),
  voiceSessionId: NullableString,
  priority: Type.Integer(),
  requiredSkills: Skills,
  enqueuedAt: DateTime,
  assignedAt: DateTime,
  state: CallState,
  answeredAt: NullableDateTime,
  transfers: Type.Integer(),
});

/** `GET /calls/{id}`: a live call with an agent, or waiting in its queue (`state: "queued"`). */
export const LiveCallView = Type.Union([
  ActiveCallView,
  Type.Object({ ...QueuedCallView.properties, state: Type.Literal('queued') }),
]);

export const AssignBody = Type.Object(
  { callId: CallId, agentId: Type.Optional(Id) },
  {
    additionalProperties: false,
    examples: [{ callId: 'call-7f3a9c' }, { callId: 'call-7f3a9c', agentId: 'agent-42' }],
  },
);

export const NextBody = Type.Optional(
  Type.Object(
    { queues: Type.Optional(Type.Array(Name, { maxItems: 100 })) },
    { additionalProperties: false, examples: [{ queues: ['billing', 'escalations'] }] },
  ),
);

export const AssignmentView = Type.Object({ assignment: Type.Union([ActiveCallView, Type.Null()]) });

export const TransferBody = Type.Union(
  [
    Type.Object({ agentId: Id }, { additionalProperties: false }),
    Type.Object(
      {
        queue: Name,
        /** Replaces the skills the call needs (same rules as at enqueue); absent, it keeps them. */
        requiredSkills: Type.Optional(Skills),
      },
      { additionalProperties: false },
    ),
  ],
  {
    examples: [
      { agentId: 'agent-7' },
      { queue: 'escalations' },
      { queue: 'tech', requiredSkills: { tech: 2 } },
    ],
  },
);

export const EndBody = Type.Object(
  { disposition: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false, examples: [{ disposition: 'resolved' }] },
);

export const RequeuedView = Type.Object({ callId: Type.String(), queue: Type.String() });

export const PositionView = Type.Object({
  callId: Type.String(),
  queue: Type.String(),
  position: Type.Integer(),
  waitingSeconds: Type.Number(),
  estimatedWaitSeconds: Type.Number(),
});

export const CallRecordView = Type.Object({
  callId: Type.String(),
  queue: Type.String(),
  agentId: NullableString,
  caller: Type.String(),
  voiceSessionId: NullableString,
  enqueuedAt: DateTime,
  answeredAt: NullableDateTime,
  endedAt: DateTime,
  waitSeconds: Type.Number(),
  talkSeconds: Type.Number(),
  holdSeconds: Type.Number(),
  wrapUpSeconds: Type.Union([Type.Number(), Type.Null()]),
  transfers: Type.Integer(),
  disposition: Type.String(),
  abandoned: Type.Boolean(),
});

export const RangeQuery = {
  from: DateTime,
  to: DateTime,
  queue: Type.Optional(Name),
  agentId: Type.Optional(Id),
};

export const RecordsQuery = Type.Object({
  ...RangeQuery,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const AnalyticsQuery = Type.Object({
  ...RangeQuery,
  groupBy: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
  serviceLevelSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
});

const FigureFields = {
  total: Type.Integer(),
  answered: Type.Integer(),
  abandoned: Type.Integer(),
  avgWaitSeconds: Type.Union([Type.Number(), Type.Null()]),
  p90WaitSeconds: Type.Union([Type.Number(), Type.Null()]),
  avgHandleSeconds: Type.Union([Type.Number(), Type.Null()]),
  serviceLevelPercent: Type.Union([Type.Number(), Type.Null()]),
};

export const AnalyticsView = Type.Object({
  from: DateTime,
  to: DateTime,
  serviceLevelSeconds: Type.Integer(),
  overall: Type.Object(FigureFields),
  byQueue: Type.Array(Type.Object({ queue: Type.String(), ...FigureFields })),
  byAgent: Type.Array(Type.Object({ agentId: Type.String(), ...FigureFields })),
  byPeriod: Type.Array(Type.Object({ period: Type.String(), ...FigureFields })),
});

export const RealTimeView = Type.Object({
  at: DateTime,
  queues: Type.Array(
    Type.Object({ queue: Type.String(), depth: Type.Integer(), longestWaitSeconds: Type.Number() }),
  ),
  agents: Type.Record(Type.String(), Type.Integer()),
  activeCalls: Type.Object({ ringing: Type.Integer(), talking: Type.Integer(), on_hold: Type.Integer() }),
});
