import { EntitySchema } from 'typeorm';

/** Row shape of `api_keys`. Only this library sees it; callers get `ApiKeyInfo`. */
export interface ApiKeyRow {
  id: string;
  cluster: string;
  name: string;
  salt: string;
  hash: string;
  createdAt: string;
  revokedAt: string | null;
}

export const ApiKeyEntity = new EntitySchema<ApiKeyRow>({
  name: 'ApiKey',
  tableName: 'api_keys',
  columns: {
    id: { type: String, length: 24, primary: true },
    cluster: { type: String, length: 200 },
    name: { type: String, length: 200 },
    salt: { type: String, length: 64 },
    hash: { type: String, length: 128 },
    createdAt: { name: 'created_at', type: String, length: 40 },
    revokedAt: { name: 'revoked_at', type: String, length: 40, nullable: true },
  },
});
