/**
 * Every CLI command, one line each: a module under this folder exporting
 * `register(program: Command)`. main.ts registers them all.
 */
export { register as config } from './config.js';
export { register as consume } from './consume.js';
export { register as conversations } from './conversations.js';
export { register as keys } from './keys.js';
export { register as openapi } from './openapi.js';
export { register as schema } from './schema.js';
export { register as serve } from './serve.js';
export { register as simulate } from './simulate.js';
export { register as voice } from './voice.js';
