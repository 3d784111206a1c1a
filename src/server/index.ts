export { buildServer, type BuildServerOptions } from './build-server.js';
export { startServer, handleSignals, type RunningServer, type StartServerOptions } from './lifecycle.js';
export { typed, type TypeBoxTypeProvider } from './type-provider.js';
export { ErrorResponse, keyedErrorResponses } from './schemas.js';
