export const INGEST_CONFIG = Symbol('INGEST_CONFIG');
/** The stored API keys (null when there is no store) and the process's own internal keys. */
export const INGEST_KEYS = Symbol('INGEST_KEYS');
export const INVENTORY_VIEW = Symbol('INVENTORY_VIEW');
