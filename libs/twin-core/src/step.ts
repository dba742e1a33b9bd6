import type {
  AlertRaised,
  AlertResolved,
  InventoryEvent,
  ObservationMade,
  PlacementSuggested,
  PredictionMade,
  TelemetryEvent,
} from '@vgpu-twin/contracts';
import { applyInventory } from './inventory';
import { observe } from './observe';
import type { TwinConfig, TwinState } from './state';

export type TwinInput = InventoryEvent | TelemetryEvent;
export type TwinOutput = PredictionMade | ObservationMade | AlertRaised | AlertResolved | PlacementSuggested;

/**
 * Applies one event to the twin and returns what the twin says about it — the whole fold in one
 * call, composed of the inventory fold (inventory.ts: placements, profiles, predictions and
 * `predicted_interference`) and the observation path (observe.ts: demand, observed slowdown and the
 * interference, drift, framebuffer and model-stale deciders under alerts/). Deterministic: output
 * ids derive from the input event id and output times are the input's event time.
 */
export function step(state: TwinState, event: TwinInput, config: TwinConfig): TwinOutput[] {
  if (alreadyApplied(state, event.id)) {
    state.stats.duplicateEvents++;
    return [];
  }
  state.stats.events++;
  const out: TwinOutput[] = [];
  switch (event.type) {
    case 'telemetry.vm_sample':
      observe(state, event, config, out);
      break;
    case 'telemetry.gpu_sample': {
      const gpu = state.gpus.get(event.data.gpuId);
      if (gpu && event.data.gpuUtilPct !== null) gpu.lastUtilPct = event.data.gpuUtilPct;
      break;
    }
    case 'host.registered':
    case 'gpu.registered':
    case 'gpu.policy_changed':
    case 'vm.placed':
    case 'vm.migrated':
    case 'vm.removed':
    case 'workload.profiled':
      applyInventory(state, event, config, out);
      break;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
  return out;
}

function alreadyApplied(state: TwinState, id: string): boolean {
  const recent = state.recentIds;
  if (recent.current.has(id) || recent.previous.has(id)) return true;
  if (recent.current.size >= recent.generation) {
    recent.previous = recent.current;
    recent.current = new Set();
  }
  recent.current.add(id);
  return false;
}

/** Applies an event without keeping what the twin says: the fold used to rebuild state. */
export function evolve(state: TwinState, event: TwinInput, config: TwinConfig): TwinState {
  step(state, event, config);
  return state;
}
