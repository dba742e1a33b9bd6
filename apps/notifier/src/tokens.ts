export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
export const ALERT_HISTORY = Symbol('ALERT_HISTORY');
export const RECEIVERS = Symbol('RECEIVERS');
