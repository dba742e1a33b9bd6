import { Option, type Command } from 'commander';
import { SchedulingPolicy, ValidationError, type DomainEvent } from '@vgpu-twin/contracts';
import { createScenarioRun, scenarioDurationS } from '@vgpu-twin/simulation';
import { z } from 'zod';
import { DEFAULT_ALIBABA_NODES, loadScenario, Simulator, type LoadedScenario } from '@vgpu-twin/simulator';
import {
  findGpu,
  findProfile,
  GPU_CATALOG,
  parseWorkloadSpec,
  placementIssues,
  policyShares,
  simulate,
  WORKLOAD_PRESET_NAMES,
  type GpuModel,
  type VgpuProfile,
  type Workload,
} from '@vgpu-twin/scheduler';

/**
 * `vgpu-twin sim share` and `vgpu-twin sim colocate`: the scheduler model from the command line;
 * `vgpu-twin sim run`: a scenario's event stream (libs/simulation), printed or posted to ingest.
 * JSON on stdout; a bad option is reported on stderr, naming the option, with exit code 2.
 */
export function registerSimCommands(program: Command): void {
  const sim = program
    .command('sim')
    .description(
      'Time-slice scheduler model of one shared GPU (libs/scheduler): GPU shares and co-location slowdowns; ' +
        'and scenarios run against its discrete-event simulation',
    );

  const gpuOption = () =>
    new Option('--gpu <model>', `GPU model (required): ${GPU_CATALOG.map((g) => g.id).join(', ')}`);
  const policyOption = () =>
    new Option(
      '--policy <policy>',
      `vGPU scheduling policy: ${SchedulingPolicy.options.join(' | ')}`,
    ).default('best_effort');

  sim
    .command('share')
    .description(
      'GPU-time share each vGPU is entitled to when its VM always has work: best effort splits among the active ' +
        'vGPUs, equal share among all assigned vGPUs, fixed share by framebuffer',
    )
    .addOption(gpuOption())
    .addOption(policyOption())
    .addOption(
      new Option('--vgpus <profiles>', 'comma-separated vGPU types on the GPU (required), e.g. 4Q,4Q,4Q'),
    )
    .addOption(
      new Option(
        '--active <indices>',
        'comma-separated 0-based indices of the vGPUs whose VMs have work (default: all)',
      ),
    )
    .action(function (this: Command) {
      const opts = this.opts<{ gpu?: string; policy: string; vgpus?: string; active?: string }>();
      const gpu = parseGpu(this, opts.gpu);
      const policy = parsePolicy(this, opts.policy);
      if (!opts.vgpus) fail(this, '--vgpus', 'is required, e.g. --vgpus 4Q,4Q,4Q');
      const names = opts.vgpus.split(',').map((s) => s.trim());
      const profiles = names.map((name) => parseProfile(this, '--vgpus', gpu, name));
      checkPlacement(this, '--vgpus', gpu, profiles);
      const active = new Set<number>();
      if (opts.active === undefined) profiles.forEach((_, i) => active.add(i));
      else {
        for (const raw of opts.active.split(',')) {
          const i = Number(raw.trim());
          if (raw.trim() === '' || !Number.isInteger(i) || i < 0 || i >= profiles.length) {
            fail(this, '--active', `'${raw}' is not a vGPU index in 0..${profiles.length - 1}`);
          }
          active.add(i);
        }
      }
      const vgpus = profiles.map((p, i) => ({ framebufferMib: p.framebufferMib, active: active.has(i) }));
      const shares = policyShares(policy, gpu.framebufferMib, vgpus);
      print({
        gpu: gpu.id,
        policy,
        vgpus: profiles.map((p, i) => ({
          profile: p.shortName,
          active: vgpus[i]!.active,
          share: round(shares[i]!),
        })),
      });
    });

  sim
    .command('colocate')
    .description(
      "Simulate VMs sharing one GPU (discrete-event, seeded) and report each VM's slowdown vs running alone on a " +
        "full-GPU vGPU, its throughput (1 / slowdown) and GPU-time share, and the GPU's busy fraction",
    )
    .addOption(gpuOption())
    .addOption(policyOption())
    .addOption(
      new Option(
        '--vm <profile:workload>',
        `one VM (repeat per VM; a single --vm simulates it alone): vGPU type and workload, e.g. 8Q:short-kernel. ` +
          `Workload: a preset (${WORKLOAD_PRESET_NAMES.join(', ')}) or fixed parameters ` +
          `kernel=MS,cpu=MS,pcie=MS,mem=0..1[,hostEvery=N,hostMs=MS]`,
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(new Option('--seconds <n>', 'simulated seconds').default('10'))
    .addOption(
      new Option('--seed <n>', "seed of the simulation's random numbers (same seed, same result)").default(
        '1',
      ),
    )
    .addOption(
      new Option('--slice-ms <ms>', 'time-slice length in ms (about 1 ms measured on a P100)').default('1'),
    )
    .action(function (this: Command) {
      const opts = this.opts<{
        gpu?: string;
        policy: string;
        vm?: string[];
        seconds: string;
        seed: string;
        sliceMs: string;
      }>();
      const gpu = parseGpu(this, opts.gpu);
      const policy = parsePolicy(this, opts.policy);
      if (!opts.vm || opts.vm.length === 0)
        fail(this, '--vm', 'is required at least once, e.g. --vm 8Q:short-kernel');
      const seconds = parseNumber(
        this,
        '--seconds',
        opts.seconds,
        (x) => x > 0 && x <= 3600,
        'a number of seconds in (0, 3600]',
      );
      const seed = parseNumber(
        this,
        '--seed',
        opts.seed,
        (x) => Number.isInteger(x) && x >= 0,
        'an integer ≥ 0',
      );
      const sliceMs = parseNumber(
        this,
        '--slice-ms',
        opts.sliceMs,
        (x) => x > 0.2 && x <= 100,
        'a number of ms in (0.2, 100]',
      );
      const vms = opts.vm.map((spec) => {
        const colon = spec.indexOf(':');
        if (colon <= 0 || colon === spec.length - 1)
          fail(this, '--vm', `'${spec}' must be PROFILE:WORKLOAD, e.g. 8Q:short-kernel`);
        const profile = parseProfile(this, '--vm', gpu, spec.slice(0, colon));
        const name = spec.slice(colon + 1);
        let workload: Workload;
        try {
          workload = parseWorkloadSpec(name);
        } catch (e) {
          fail(this, '--vm', `'${spec}': ${(e as Error).message}`);
        }
        return { profile, name, workload };
      });
      checkPlacement(
        this,
        '--vm',
        gpu,
        vms.map((v) => v.profile),
      );
      const result = simulate(
        {
          policy,
          gpuFramebufferMib: gpu.framebufferMib,
          vms: vms.map((v) => ({ framebufferMib: v.profile.framebufferMib, workload: v.workload })),
          params: { timeSliceMs: sliceMs },
        },
        { durationMs: seconds * 1000, seed },
      );
      print({
        gpu: gpu.id,
        policy,
        vms: vms.map((v, i) => {
          const r = result.vms[i]!;
          return {
            profile: v.profile.shortName,
            workload: v.name,
            slowdown: round(r.slowdown),
            throughput: round(r.throughput),
            share: round(r.share),
          };
        }),
        busy: round(result.busy),
      });
    });

  sim
    .command('run')
    .description(
      "Run a scenario: its cluster's inventory, then per tick the timeline's changes and one telemetry sample per " +
        'VM and per GPU, all from the ground truth (libs/scheduler simulate). NDJSON on stdout, or posted to --ingest',
    )
    .addOption(new Option('--scenario <file>', "scenario file (JSON; required): 'demo' is the built-in one"))
    .addOption(
      new Option(
        '--ingest <url>',
        'post to this ingest API (/v1/inventory, /v1/telemetry) instead of printing',
      ),
    )
    .addOption(
      new Option(
        '--duration <s>',
        "seconds of event time (default: the scenario's durationS, else its last timeline action + 60 s)",
      ),
    )
    .addOption(
      new Option('--tick-ms <ms>', 'wall-clock ms between ticks (default: 1000 with --ingest, 0 without)'),
    )
    .addOption(new Option('--step-ms <ms>', 'event-time ms per tick').default('1000'))
    .addOption(new Option('--start <iso>', 'event time of the first tick, ISO-8601 UTC (default: now)'))
    .addOption(new Option('--seed <n>', "seed of the noise and the ground truth (default: the scenario's)"))
    .addOption(new Option('--api-key <key>', 'API key sent to --ingest'))
    .addOption(
      new Option('--alibaba-nodes <file>', 'node list a cluster.alibaba scenario samples').default(
        DEFAULT_ALIBABA_NODES,
      ),
    )
    .addHelpText(
      'after',
      '\nThe scenario format: libs/simulation/src/scenario/scenario.schema.json (JSON Schema, for editors) and the\n' +
        'README. Same scenario, --start, --step-ms and --seed: the same NDJSON, byte for byte. Progress goes to stderr.',
    )
    .action(async function (this: Command) {
      const o = this.opts<{
        scenario?: string;
        ingest?: string;
        duration?: string;
        tickMs?: string;
        stepMs: string;
        start?: string;
        seed?: string;
        apiKey?: string;
        alibabaNodes: string;
      }>();
      if (!o.scenario) fail(this, '--scenario', "is required: a scenario file, or 'demo'");
      let loaded: LoadedScenario;
      try {
        loaded = loadScenario(o.scenario, o.alibabaNodes);
      } catch (e) {
        if (e instanceof ValidationError) fail(this, '--scenario', e.message);
        throw e;
      }
      if (o.ingest !== undefined && !URL.canParse(o.ingest))
        fail(this, '--ingest', `'${o.ingest}' must be a URL such as http://127.0.0.1:8080`);
      const positive = (x: number) => x > 0;
      const duration =
        o.duration === undefined
          ? undefined
          : parseNumber(this, '--duration', o.duration, positive, 'a number of seconds > 0');
      const stepMs = parseNumber(
        this,
        '--step-ms',
        o.stepMs,
        (x) => Number.isInteger(x) && x > 0,
        'an integer > 0',
      );
      const tickMs =
        o.tickMs === undefined
          ? o.ingest
            ? 1000
            : 0
          : parseNumber(this, '--tick-ms', o.tickMs, (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0');
      const seed =
        o.seed === undefined
          ? undefined
          : parseNumber(this, '--seed', o.seed, (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0');
      if (o.start !== undefined && !z.iso.datetime().safeParse(o.start).success)
        fail(this, '--start', `'${o.start}' must be an ISO-8601 UTC time such as 2026-03-01T00:00:00Z`);
      const startMs = o.start !== undefined ? Date.parse(o.start) : Date.now();
      const log = (line: string) => void process.stderr.write(`${line}\n`);

      if (o.ingest !== undefined) {
        const sim = new Simulator(
          {
            SIM_INGEST_URL: o.ingest,
            SIM_API_KEY: o.apiKey,
            SIM_SCENARIO: o.scenario,
            SIM_ALIBABA_NODES: o.alibabaNodes,
            SIM_SEED: seed,
            SIM_TICK_MS: tickMs,
            SIM_STEP_MS: stepMs,
            SIM_START: new Date(startMs).toISOString(),
            SIM_DURATION_S: duration ?? scenarioDurationS(loaded.scenario),
          },
          { scenario: loaded, log },
        );
        await sim.start();
        await sim.finished;
        if (sim.error) throw sim.error;
        log(`sim run: posted ${sim.sent} events to ${o.ingest} (${sim.failures} retried posts)`);
        return;
      }

      const run = createScenarioRun(loaded.scenario, {
        startMs,
        stepMs,
        ...(seed !== undefined ? { seed } : {}),
        ...(loaded.alibabaNodes ? { alibabaNodes: loaded.alibabaNodes } : {}),
      });
      const seconds = duration ?? run.durationS;
      const ticks = Math.ceil((seconds * 1000) / stepMs);
      let events = 0;
      const emit = async (batch: readonly DomainEvent[]) => {
        if (batch.length === 0) return;
        events += batch.length;
        const text = batch.map((e) => `${JSON.stringify(e)}\n`).join('');
        if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
      };
      log(
        `sim run: scenario '${loaded.scenario.name}' (${loaded.source}): ${run.cluster.gpus.length} GPUs, ` +
          `${ticks} ticks of ${stepMs} ms (${seconds} s of event time)`,
      );
      for (const note of run.cluster.notes) log(`sim run: ${note}`);
      await emit(run.inventory());
      let lastReport = Date.now();
      for (let i = 0; i < ticks; i++) {
        const t = run.tick();
        await emit(t.inventory);
        await emit(t.telemetry);
        if (Date.now() - lastReport >= 2000) {
          lastReport = Date.now();
          log(`sim run: +${t.elapsedS} s of ${seconds} s, ${events} events`);
        }
        if (tickMs > 0 && i < ticks - 1) await new Promise((r) => setTimeout(r, tickMs));
      }
      log(`sim run: ${events} events`);
    });
}

function fail(cmd: Command, option: string, message: string): never {
  cmd.error(`error: option '${option}' ${message}`, { exitCode: 2, code: 'vgpu-twin.invalidOption' });
  throw new Error('unreachable'); // cmd.error exits or throws (exitOverride)
}

function parseGpu(cmd: Command, model: string | undefined): GpuModel {
  if (!model) fail(cmd, '--gpu', `is required: ${GPU_CATALOG.map((g) => g.id).join(', ')}`);
  try {
    return findGpu(model);
  } catch (e) {
    fail(cmd, '--gpu', (e as Error).message);
  }
}

function parsePolicy(cmd: Command, raw: string): SchedulingPolicy {
  const r = SchedulingPolicy.safeParse(raw);
  if (!r.success) fail(cmd, '--policy', `'${raw}' must be one of ${SchedulingPolicy.options.join(', ')}`);
  return r.data;
}

function parseProfile(cmd: Command, option: string, gpu: GpuModel, name: string): VgpuProfile {
  try {
    return findProfile(gpu, name);
  } catch (e) {
    fail(cmd, option, (e as Error).message);
  }
}

function checkPlacement(cmd: Command, option: string, gpu: GpuModel, profiles: readonly VgpuProfile[]): void {
  const issues = placementIssues({
    homogeneousProfiles: false,
    gpus: [{ model: gpu.id, profiles: profiles.map((p) => p.name) }],
  });
  if (issues.length > 0) fail(cmd, option, issues.map((i) => i.message).join('; '));
}

function parseNumber(
  cmd: Command,
  option: string,
  raw: string,
  ok: (x: number) => boolean,
  what: string,
): number {
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x) || !ok(x)) fail(cmd, option, `'${raw}' must be ${what}`);
  return x;
}

const round = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
