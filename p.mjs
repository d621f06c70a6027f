import { PGlite } from '@electric-sql/pglite';
let t=Date.now();
const db = await PGlite.create();
console.log('create', Date.now()-t); t=Date.now();
console.log((await db.query("select version(), count(*) as c, 1::int8 as b, now() as n, '{\"a\":1}'::jsonb as j, sha256('x'::bytea) as h")).rows);
await db.exec(`create function f() returns int language plpgsql as $$ begin return 1; end $$;`);
console.log((await db.query('select f()')).rows);
t=Date.now(); const c = await db.clone(); console.log('clone', Date.now()-t, (await c.query('select f()')).rows);
console.log(process.memoryUsage().rss/1e6);
