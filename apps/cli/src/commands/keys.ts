import type { Command } from 'commander';
import { openKeyStoreRepository } from '@vgpu-twin/ingest';
import { loadConfig, LogConfigSchema } from '@vgpu-twin/service-kit';
import { IngestConfigSchema } from '@vgpu-twin/ingest';
import { failOption } from './options';

/**
 * `vgpu-twin keys create|list|revoke`: ingest's per-cluster API keys, in the store ingest reads
 * (INGEST_KEY_STORE: `keys.sqlite` under VGPU_TWIN_DATA_DIR, or PostgreSQL at DATABASE_URL).
 * JSON on stdout; the key itself is printed once, by `create`, and never stored.
 */
export function registerKeysCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      "Ingest API keys per cluster: a key writes only its cluster's hosts, GPUs and VMs (stored hashed with scrypt)",
    );
  const open = async () => {
    const ingest = loadConfig(IngestConfigSchema);
    const log = loadConfig(LogConfigSchema);
    return openKeyStoreRepository(ingest, log.VGPU_TWIN_DATA_DIR);
  };

  keys
    .command('create')
    .description('create a key for a cluster; prints it once (keep it: only its hash is stored)')
    .option('--cluster <id>', 'the cluster the key writes (required)')
    .option('--name <name>', 'what the key is for, e.g. the host agent of rack 7', '')
    .action(async function (this: Command) {
      const o = this.opts<{ cluster?: string; name: string }>();
      if (!o.cluster?.trim()) failOption(this, '--cluster', 'is required: the cluster id the key may write');
      const repo = await open();
      try {
        const { key, info } = await repo.create(o.cluster.trim(), o.name, new Date());
        process.stdout.write(`${JSON.stringify({ ...info, key })}\n`);
        process.stderr.write(`key ${info.id} for cluster ${info.cluster}: shown once, store it now\n`);
      } finally {
        await repo.close();
      }
    });

  keys
    .command('list')
    .description('list the keys (id, cluster, name, created, revoked); never the keys themselves')
    .action(async () => {
      const repo = await open();
      try {
        for (const info of await repo.list()) process.stdout.write(`${JSON.stringify(info)}\n`);
      } finally {
        await repo.close();
      }
    });

  keys
    .command('revoke')
    .description('revoke a key by its id (ingest refuses it within 10 s)')
    .argument('<id>', 'the key id, as `keys list` shows it')
    .action(async function (this: Command, id: string) {
      const repo = await open();
      try {
        if (!(await repo.revoke(id, new Date())))
          this.error(`error: no key with id '${id}' (see vgpu-twin keys list)`, {
            exitCode: 1,
            code: 'vgpu-twin.noSuchKey',
          });
        process.stdout.write(`${JSON.stringify((await repo.list()).find((k) => k.id === id))}\n`);
      } finally {
        await repo.close();
      }
    });
}
