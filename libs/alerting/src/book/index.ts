export { decide, tick, lifecycleId, type BookInput, type Decision, type DecideContext } from './decide';
export {
  DEFAULT_BOOK_CONFIG,
  evolve,
  initialBook,
  isNotifiable,
  stateOf,
  type BookConfig,
  type BookState,
  type ReceiverStats,
} from './state';
