export { authModule, type AuthServices } from './module.js';
export { ApiKeyService, type ApiKey, type CreatedApiKey } from './key-service.js';
export { SCOPES, scopeAllows, impliedScopes, isScope, type Scope } from './scopes.js';
export { hashSecret, secretFromHeaders } from './secrets.js';
