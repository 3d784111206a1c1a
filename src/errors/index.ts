export { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';
export { SwitchboardError, isSwitchboardError, type ErrorOptions } from './switchboard-error.js';
