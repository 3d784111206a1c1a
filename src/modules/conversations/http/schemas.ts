import { Type, type Static } from '@sinclair/typebox';
import { CONVERSATION_MODES } from '../config.js';
import { STEP_TYPES } from '../types.js';

/**
 * TypeBox schemas of the conversation routes. Ids are only shaped here; the service checks
 * the tree rules and answers with the specific catalogue code (UNKNOWN_PARENT,
 * INVALID_PARENT_TYPE, TURN_CYCLE, CONVERSATION_TOO_DEEP...) naming the field.
 */
const Id = (example: string) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', examples: [example] });
const SESSION = '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f';
const TURN = '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d';
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const SessionParams = Type.Object({ sessionUid: Id(SESSION) });
export const TurnParams = Type.Object({ sessionUid: Id(SESSION), turnUid: Id(TURN) });
export const AccountParams = Type.Object({ accountUid: Id('acct-42') });
export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  pageToken: Type.Optional(Type.String({ maxLength: 4096 })),
});
export const LoadQuery = Type.Object({
  view: Type.Optional(
    Type.Union([Type.Literal('active'), Type.Literal('tree')], {
      default: 'active',
      description: '`active`: the active path root to leaf; `tree`: every turn in creation order',
    }),
  ),
});

export const StepType = Type.Union(
  STEP_TYPES.map((t) => Type.Literal(t)),
  { description: 'What the step holds (docs/conversations.md, "Step types")' },
);
export const StepInput = Type.Object(
  { tpe: StepType, content: Type.String({ examples: ['Looking up your order…'] }) },
  { additionalProperties: false },
);

export const CreateSessionBody = Type.Object(
  {
    accountUid: Id('acct-42'),
    title: Type.Optional(Type.String({ maxLength: 500, examples: ['Refund for order 1182'] })),
    sessionUid: Type.Optional(Id(SESSION)),
  },
  { additionalProperties: false },
);
export const RenameBody = Type.Object(
  { title: Type.String({ maxLength: 500 }) },
  { additionalProperties: false },
);

export const AppendTurnBody = Type.Object(
  {
    type: Type.Union([Type.Literal('human'), Type.Literal('agent')]),
    parentUid: Type.Optional(Id(TURN)),
    turnUid: Type.Optional(Id(TURN)),
    prompt: Type.Optional(Type.String({ examples: ['Where is my order?'] })),
    steps: Type.Optional(Type.Array(StepInput)),
    completed: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    description:
      'A human turn needs `prompt`; an agent turn may carry `steps`. `parentUid` defaults to the end of the active path; the session id as parent starts a new root (an edited first prompt).',
    examples: [{ type: 'human', prompt: 'Where is my order?' }],
  },
);
export type AppendTurnBodyT = Static<typeof AppendTurnBody>;

export const AppendStepsBody = Type.Object(
  { steps: Type.Array(StepInput), complete: Type.Optional(Type.Boolean()) },
  {
    additionalProperties: false,
    examples: [{ steps: [{ tpe: 'text', content: 'It ships today.' }], complete: true }],
  },
);
export const LikeBody = Type.Object({ liked: Type.Boolean() }, { additionalProperties: false });
export const SwitchBody = Type.Object(
  { parentUid: Id(TURN), childUid: Id(TURN) },
  {
    additionalProperties: false,
    description: 'Make `childUid` the active child of `parentUid` (a turn, or the session id for roots)',
  },
);
export const ModeBody = Type.Object(
  {
    mode: Type.Union(CONVERSATION_MODES.map((m) => Type.Literal(m))),
    force: Type.Optional(Type.Boolean({ description: 'Enter wide_column even with a repair backlog' })),
  },
  { additionalProperties: false },
);

export const SessionView = Type.Object({
  sessionUid: Type.String(),
  accountUid: Type.String(),
  title: Type.String(),
  createdAt: DateTime,
  deletedAt: Nullable(DateTime),
  activeChild: Nullable(Type.String()),
});
export const StepView = Type.Object({
  idx: Type.Integer(),
  tpe: Type.String(),
  content: Type.String(),
  createdAt: DateTime,
});
export const TurnView = Type.Object({
  turnUid: Type.String(),
  sessionUid: Type.String(),
  turnType: Type.String(),
  parentUid: Type.String(),
  createdAt: DateTime,
  activeChild: Nullable(Type.String()),
  prompt: Nullable(Type.String()),
  liked: Type.Union([Type.Boolean(), Type.Null()]),
  completed: Type.Boolean(),
  steps: Type.Optional(Type.Array(StepView)),
});
export const ConversationView = Type.Object({ session: SessionView, turns: Type.Array(TurnView) });
export const SessionPageView = Type.Object({
  // No activeChild: the list is read from sessions_by_user, which does not hold it (the seed's
  // table); a null there would read as "no turn yet". GET the session for it.
  sessions: Type.Array(Type.Omit(SessionView, ['activeChild'])),
  nextPageToken: Nullable(Type.String()),
});
export const ChildrenView = Type.Object({
  activeChild: Nullable(Type.String()),
  children: Type.Array(Type.Object({ turnUid: Type.String(), turnType: Type.String(), createdAt: DateTime })),
});
export const ModeView = Type.Object({
  mode: Type.String(),
  repairBacklog: Type.Integer(),
  staleReads: Type.Object({
    compared: Type.Integer(),
    stale: Type.Integer(),
    rate: Type.Number(),
    target: Type.Number(),
  }),
});
