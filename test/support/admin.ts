import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A platform key that exists only as its hash in ADMIN_API_KEY_HASHES (the bootstrap path). */
export function bootstrapKey(): { secret: string; hash: string } {
  const secret = `boot_${randomBytes(24).toString('hex')}`;
  return { secret, hash: createHash('sha256').update(secret).digest('hex') };
}

export const keyHeader = (secret: string): { headers: Record<string, string> } => ({ headers: { 'x-api-key': secret } });

/** Every row of every table of the test database, as text: what a dump would contain. */
export async function dumpDatabase(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query(`select * from "${table_name}"`);
      parts.push(`${table_name}: ${JSON.stringify(rows.rows)}`);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}
