import type { Queryable } from '../../src/db/db.js';

/** Snapshot queries for assertions on what intake stored. */
export const incidents = async (db: Queryable) =>
  (await db.query<{ number: number; title: string; severity: string; status: string; group_key: string; previous: number | null; notifications: number }>(
    `SELECT i.number, i.title, i.severity, i.status, i.group_key, p.number AS previous, i.notifications
       FROM incidents i LEFT JOIN incidents p ON p.id = i.previous_incident_id ORDER BY i.number`,
  )).rows;

export const alerts = async (db: Queryable) =>
  (await db.query<{ fingerprint: string; status: string; incident: number; times_received: number; starts_at: string }>(
    `SELECT a.fingerprint, a.status, i.number AS incident, a.times_received, a.starts_at::text
       FROM alerts a JOIN incidents i ON i.id = a.incident_id ORDER BY i.number, a.fingerprint, a.starts_at`,
  )).rows;

export const timeline = async (db: Queryable, number: number) =>
  (await db.query<{ seq: number; kind: string; actor: string; summary: string; data: Record<string, unknown> }>(
    `SELECT t.seq, t.kind, t.actor, t.summary, t.data FROM timeline_events t JOIN incidents i ON i.id = t.incident_id
      WHERE i.number = $1 ORDER BY t.seq`,
    [number],
  )).rows;

/** Jobs not yet done nor failed (done jobs are kept until housekeeping prunes them), of one kind or all. */
export const openJobs = async (db: Queryable, kind?: string) =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND ($1::text IS NULL OR kind = $1)', [kind ?? null])).rows[0]!.n;

export const count = async (db: Queryable, table: string) =>
  (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n;

export const incidentId = async (db: Queryable, number: number) =>
  (await db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number])).rows[0]!.id;
