export { type AppDeps, buildApp } from './app.js';
export { hashPassword } from './auth/service.js';
export { type Config, loadConfig } from './config/index.js';
export { loadCredentialCipher } from './crypto/credentials.js';
export { type RotationReport, rotateCredentials } from './crypto/rotate.js';
export { importFlow } from './http/flows/routes.js';
export { type CompanyLimits, companyLimitsKey, parseOverride } from './limits/limits.js';
export { tuneHeap } from './observability/heap-tuning.js';
export {
  companySettingFields,
  MAX_RETENTION_HOURS,
  parseRetentionOverride,
  type RetentionOverride,
} from './retention/retention-overrides.js';
export type { Store } from './store/types.js';
export { createSystem, openStore, type System } from './system.js';
