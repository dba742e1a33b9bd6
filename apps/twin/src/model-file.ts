import { NotFoundError, ValidationError } from '@vgpu-twin/contracts';
import { currentArtifact, parseArtifact, type ModelArtifact } from '@vgpu-twin/interference';
import { learnedModel, type LearnedModel } from '@vgpu-twin/twin-core';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface LoadedModel {
  readonly model: LearnedModel;
  readonly artifact: ModelArtifact;
  readonly file: string;
}

/**
 * Loads the interference model the twin predicts with: `path` is a model artifact
 * (`vgpu-twin model train … --out model.json`) or a directory of them, of which the current one —
 * the newest by `createdAt` — is used. The model's name, recorded on every prediction, is its kind
 * and the first 12 hex digits of the file's sha256, so a prediction names the exact artifact.
 */
export function loadModel(path: string): LoadedModel {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new NotFoundError(`model ${path}: no such file or directory`);
  }
  const files = isDir
    ? readdirSync(path)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new NotFoundError(`model directory ${path} holds no *.json artifact`);
  const loaded = files.map((file) => {
    const text = readFileSync(file, 'utf8');
    const { artifact, model } = parseArtifact(text, file);
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 12);
    return {
      artifact,
      file,
      model: learnedModel(`${artifact.kind}@${digest}`, model),
      createdAt: artifact.createdAt,
    };
  });
  const current = currentArtifact(loaded);
  if (!current) throw new ValidationError(`model ${path}: no artifact`);
  return { model: current.model, artifact: current.artifact, file: current.file };
}

/** Where the default artifact lives in the repository (and in an installed copy of it). */
export const DEFAULT_MODEL_FILE = join('models', 'default', 'hybrid.json');

/**
 * The shipped model, found by walking up from this file (apps/twin/src in the sources,
 * dist/apps/twin/src once built) to the directory that holds models/default/hybrid.json.
 */
export function defaultModelPath(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_MODEL_FILE);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: one level up
    }
    if (dirname(dir) === dir) return DEFAULT_MODEL_FILE;
  }
}
