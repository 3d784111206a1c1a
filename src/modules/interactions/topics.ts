import type { SwitchboardConfig } from '../../config/index.js';
import type { TopicSpec } from '../../ports/event-log/log.js';
import { STAGES, type Stage } from './events.js';

export type StageTopics = { readonly [S in Stage]: string };

/** The topic of each stage, from `[interactions] topic_*`. */
export function stageTopics(config: SwitchboardConfig): StageTopics {
  const c = config.interactions;
  return { stt: c.topic_stt, llm: c.topic_llm, tts: c.topic_tts };
}

/** Reverse lookup for the consumer: topic name → stage. */
export function topicStages(topics: StageTopics): Map<string, Stage> {
  return new Map(STAGES.map((s) => [topics[s], s]));
}

export function interactionTopicSpecs(config: SwitchboardConfig): TopicSpec[] {
  const partitions = config.interactions.topic_partitions;
  const topics = stageTopics(config);
  return STAGES.map((s) => ({ name: topics[s], ...(partitions > 0 ? { partitions } : {}) }));
}
