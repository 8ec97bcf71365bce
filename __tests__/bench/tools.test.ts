/** @needs mariadb: starts a throwaway MariaDB server (npm run test:unit leaves this suite out). */
import type { RowDataPacket } from 'mysql2/promise';
import { settleServer } from '../../bench/tools';
import { freshDatabase, useLocalMariadb } from '../helpers/mariadb';

describe('settling the server between timed loads', () => {
  const server = useLocalMariadb();
  const flushing = async (): Promise<Record<string, number>> => {
    const [[row]] = await server
      .admin()
      .query<
        RowDataPacket[]
      >('SELECT @@GLOBAL.innodb_max_dirty_pages_pct_lwm AS lwm, @@GLOBAL.innodb_io_capacity AS io, @@GLOBAL.innodb_io_capacity_max AS ioMax');
    return { lwm: Number(row.lwm), io: Number(row.io), ioMax: Number(row.ioMax) };
  };
  const dirtyPages = async (): Promise<number> => {
    const [[row]] = await server.admin().query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
    return Number(row.Value);
  };

  test('waits for the pages a load left dirty, in seconds rather than its whole deadline, and puts the settings back', async () => {
    const database = await freshDatabase(server.admin());
    const before = await flushing();
    await server.admin().query(`CREATE TABLE ${database}.t (id INT PRIMARY KEY, v VARCHAR(200))`);
    await server.admin().query(`INSERT INTO ${database}.t SELECT seq, REPEAT('x', 150) FROM ${database}.seq_1_to_200000`);
    // An idle MariaDB keeps these pages dirty: a plain wait for them sat out its whole deadline after every load.
    expect(await dirtyPages()).toBeGreaterThan(1000);
    const settled = await settleServer(server.admin(), 60);
    expect(settled.dirtyPages).toBe(0);
    expect(settled.seconds).toBeLessThan(15);
    expect(await dirtyPages()).toBeLessThan(100);
    expect(await flushing()).toEqual(before);
  });
});
