//! The batch store: runs, the target queue and results, in SQLite (one
//! machine) or PostgreSQL (many workers), through sqlx's `Any` driver with
//! one schema (`migrations/`, the same SQL for both). The database is the
//! coordinator: a worker leases targets (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, SQLite's single writer on SQLite), renews its leases while it
//! works, and writes each result in the transaction that marks its target
//! done — only while it still holds the lease, so a result is never lost to
//! a kill and never written twice.

use std::borrow::Cow;
use std::time::Duration;

use analysis::fleet::{ResultRow, RunInfo, Status, TargetFacts};
use anyhow::{Context as _, Result};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;

/// The schema, embedded: (version, description, SQL).
const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "batch", include_str!("../../migrations/0001_batch.sql"))];

#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// sqlx's boxed future type (`MigrationSource::resolve`).
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Which database a `--db` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A target leased to this worker.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub run_id: String,
    pub seq: i64,
    pub spec: String,
}

/// A finished target, ready to store.
#[derive(Clone, Debug)]
pub struct NewResult {
    pub run_id: String,
    pub seq: i64,
    pub spec: String,
    pub finished_ms: i64,
    pub elapsed_ms: i64,
    pub facts: TargetFacts,
    pub report: String,
    pub observations: String,
}

/// A stored result as `rejudge` reads it: its facts as judged then, and
/// the observations to judge again.
#[derive(Clone, Debug)]
pub struct StoredObservations {
    pub seq: i64,
    pub finished_ms: i64,
    pub facts: TargetFacts,
    pub observations: String,
}

/// A run as the store keeps it.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub run_key: String,
    pub generation: i64,
    pub depth: String,
    pub options: String,
    pub targets_total: i64,
    pub ready: bool,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
}

impl Run {
    pub fn info(&self, previous: Option<String>) -> RunInfo {
        RunInfo {
            id: self.id.clone(),
            depth: self.depth.clone(),
            created: from_ms(self.created_ms),
            finished: self.finished_ms.map(from_ms),
            previous,
        }
    }
}

/// Progress counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub done: i64,
    pub total: i64,
}

/// An open store.
pub struct Store {
    pool: AnyPool,
    pub backend: Backend,
}

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

const RUN_COLUMNS: &str =
    "id, run_key, generation, depth, options, targets_total, ready, created_ms, finished_ms";

fn run_from(row: &AnyRow) -> Result<Run> {
    Ok(Run {
        id: row.try_get("id")?,
        run_key: row.try_get("run_key")?,
        generation: row.try_get("generation")?,
        depth: row.try_get("depth")?,
        options: row.try_get("options")?,
        targets_total: row.try_get("targets_total")?,
        ready: row.try_get::<i64, _>("ready")? != 0,
        created_ms: row.try_get("created_ms")?,
        finished_ms: row.try_get("finished_ms")?,
    })
}

impl Store {
    /// Opens (and creates, for SQLite) the store and brings its schema up
    /// to date. `db` is a file path or a `postgres://` URL.
    pub async fn open(db: &str, connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            (db.to_string(), Backend::Postgres)
        } else {
            let path = db.strip_prefix("sqlite://").unwrap_or(db);
            (format!("sqlite://{path}?mode=rwc"), Backend::Sqlite)
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                // One writer at a time anyway; a few readers beside it.
                Backend::Sqlite => connections.clamp(1, 4),
                Backend::Postgres => connections.clamp(1, 16),
            })
            .acquire_timeout(Duration::from_secs(60));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL: readers (report) do not block the writer; a
                    // commit survives a kill of the process.
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 30000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options
            .connect(&url)
            .await
            .with_context(|| format!("cannot open the batch store {}", redact(db)))?;
        Migrator::new(Embedded)
            .await?
            .run(&pool)
            .await
            .with_context(|| format!("cannot bring the store {} up to date", redact(db)))?;
        Ok(Store { pool, backend })
    }

    /// The newest unfinished run with this key, or a new generation of it.
    /// Race-free for several processes starting the same command at once
    /// (shards): the generation is unique per key.
    pub async fn run_for(
        &self,
        run_key: &str,
        depth: &str,
        options: &str,
        targets_total: i64,
    ) -> Result<(Run, bool)> {
        let newest = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE run_key = $1 ORDER BY generation DESC LIMIT 1"
        ))
        .bind(run_key)
        .fetch_optional(&self.pool)
        .await?;
        let newest = newest.as_ref().map(run_from).transpose()?;
        if let Some(run) = &newest {
            if run.finished_ms.is_none() {
                return Ok((run.clone(), true));
            }
        }
        let generation = newest.map(|r| r.generation + 1).unwrap_or(1);
        let id = format!("{}-{generation}", &run_key[..12.min(run_key.len())]);
        sqlx::query(
            "INSERT INTO runs (id, run_key, generation, depth, options, targets_total, ready, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(run_key)
        .bind(generation)
        .bind(depth)
        .bind(options)
        .bind(targets_total)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        let run = self.run(&id).await?.context("the new run vanished")?;
        Ok((run, false))
    }

    pub async fn run(&self, id: &str) -> Result<Option<Run>> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(run_from).transpose()
    }

    /// The newest run (by creation).
    pub async fn newest_run(&self) -> Result<Option<Run>> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs ORDER BY created_ms DESC, id DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(run_from).transpose()
    }

    /// The run before this one with the same target list, if any.
    pub async fn previous_run(&self, run: &Run) -> Result<Option<Run>> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE run_key = $1 AND generation < $2
             ORDER BY generation DESC LIMIT 1"
        ))
        .bind(&run.run_key)
        .bind(run.generation)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(run_from).transpose()
    }

    /// Runs with targets still to do, oldest first (for `--worker`).
    pub async fn unfinished_runs(&self) -> Result<Vec<Run>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE finished_ms IS NULL AND ready = 1 ORDER BY created_ms"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(run_from).collect()
    }

    pub async fn all_runs(&self) -> Result<Vec<Run>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs ORDER BY created_ms"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(run_from).collect()
    }

    /// Adds the run's targets (idempotent: rows already there stay), in
    /// chunks of one transaction each, then marks the run ready.
    pub async fn add_targets(&self, run: &Run, specs: &[String]) -> Result<()> {
        if run.ready {
            return Ok(());
        }
        for (chunk_index, chunk) in specs.chunks(500).enumerate() {
            let mut sql = String::from("INSERT INTO targets (run_id, seq, spec) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut query = sqlx::query(&sql);
            for (i, spec) in chunk.iter().enumerate() {
                query = query
                    .bind(&run.id)
                    .bind((chunk_index * 500 + i) as i64)
                    .bind(spec);
            }
            query.execute(&self.pool).await?;
        }
        sqlx::query("UPDATE runs SET ready = 1 WHERE id = $1")
            .bind(&run.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Leases up to `limit` targets of the run to `owner` until
    /// `lease_until_ms`: pending ones and ones whose lease expired, in list
    /// order, only this shard's.
    pub async fn claim(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        limit: i64,
        shard: Option<(u64, u64)>,
    ) -> Result<Vec<Claimed>> {
        let now = now_ms();
        // Pending targets first, then expired leases: two conditions on
        // one state each, so that both are range scans of the
        // (run_id, state, seq) index and a claim costs the rows it takes,
        // not the run's length (an OR over both states scanned every done
        // row again on each claim: quadratic in the list).
        let mut claimed = self
            .claim_where(run_id, owner, lease, limit, shard, "state = 'pending'", now)
            .await?;
        let missing = limit - claimed.len() as i64;
        if missing > 0 {
            claimed.extend(
                self.claim_where(
                    run_id,
                    owner,
                    lease,
                    missing,
                    shard,
                    "state = 'leased' AND lease_until_ms < $4",
                    now,
                )
                .await?,
            );
        }
        claimed.sort_by_key(|c| c.seq);
        Ok(claimed)
    }

    /// Leases up to `limit` targets that meet `condition` (SQL over the
    /// targets row; `$4` is now).
    #[allow(clippy::too_many_arguments)]
    async fn claim_where(
        &self,
        run_id: &str,
        owner: &str,
        lease: Duration,
        limit: i64,
        shard: Option<(u64, u64)>,
        condition: &str,
        now: i64,
    ) -> Result<Vec<Claimed>> {
        let (index, count) = shard.unwrap_or((0, 1));
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE targets SET state = 'leased', lease_owner = $1, lease_until_ms = $2, attempts = attempts + 1
             WHERE run_id = $3 AND seq IN (
               SELECT seq FROM targets
               WHERE run_id = $3 AND {condition} AND seq % $5 = $6
               ORDER BY seq LIMIT $7{lock})
             RETURNING seq, spec"
        );
        let rows = sqlx::query(&sql)
            .bind(owner)
            .bind(now + lease.as_millis() as i64)
            .bind(run_id)
            .bind(now)
            .bind(count as i64)
            .bind(index as i64)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Claimed {
                    run_id: run_id.to_string(),
                    seq: row.try_get("seq")?,
                    spec: row.try_get("spec")?,
                })
            })
            .collect()
    }

    /// Renews every lease `owner` holds.
    pub async fn renew(&self, owner: &str, lease: Duration) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE targets SET lease_until_ms = $1 WHERE state = 'leased' AND lease_owner = $2",
        )
        .bind(now_ms() + lease.as_millis() as i64)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Gives back the leases of owners that `is_dead` says are gone (a
    /// process on this machine that no longer runs): their targets are
    /// pending again at once instead of after the lease.
    pub async fn release_dead(&self, is_dead: impl Fn(&str) -> bool) -> Result<u64> {
        let owners: Vec<String> = sqlx::query(
            "SELECT DISTINCT lease_owner FROM targets WHERE state = 'leased' AND lease_owner IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String, _>("lease_owner").ok())
        .collect();
        let mut released = 0;
        for owner in owners.iter().filter(|o| is_dead(o)) {
            released += sqlx::query(
                "UPDATE targets SET state = 'pending', lease_owner = NULL, lease_until_ms = NULL
                 WHERE state = 'leased' AND lease_owner = $1",
            )
            .bind(owner)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(released)
    }

    /// Stores a result and marks its target done, in one transaction, only
    /// while `owner` still holds the target's lease. `false`: the lease was
    /// lost (another worker took the target over), nothing was written.
    pub async fn complete(&self, owner: &str, result: &NewResult) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query(
            "UPDATE targets SET state = 'done', lease_owner = NULL, lease_until_ms = NULL
             WHERE run_id = $1 AND seq = $2 AND state = 'leased' AND lease_owner = $3",
        )
        .bind(&result.run_id)
        .bind(result.seq)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let f = &result.facts;
        sqlx::query(
            "INSERT INTO results (run_id, seq, spec, finished_ms, worker, elapsed_ms, status, code, grade,
                                  not_after_ms, leaf_sha256, issuer, judged_with, report, observations)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT DO NOTHING",
        )
        .bind(&result.run_id)
        .bind(result.seq)
        .bind(&result.spec)
        .bind(result.finished_ms)
        .bind(owner)
        .bind(result.elapsed_ms)
        .bind(f.status.map(|s| s.as_str()).unwrap_or("failed"))
        .bind(f.code.clone())
        .bind(f.grade.clone())
        .bind(f.not_after.map(|d| (d.unix_timestamp_nanos() / 1_000_000) as i64))
        .bind(f.leaf_sha256.clone())
        .bind(f.issuer.clone())
        .bind(crate::batch::JUDGED_WITH)
        .bind(&result.report)
        .bind(&result.observations)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks the run finished when no target is left; true when it is.
    pub async fn finish_if_done(&self, run_id: &str) -> Result<bool> {
        sqlx::query(
            "UPDATE runs SET finished_ms = $1 WHERE id = $2 AND finished_ms IS NULL AND ready = 1
             AND NOT EXISTS (SELECT 1 FROM targets WHERE run_id = $2 AND state <> 'done')",
        )
        .bind(now_ms())
        .bind(run_id)
        .execute(&self.pool)
        .await?;
        Ok(self
            .run(run_id)
            .await?
            .is_some_and(|r| r.finished_ms.is_some()))
    }

    /// Targets done and in all, for this shard (all when `None`).
    pub async fn counts(&self, run_id: &str, shard: Option<(u64, u64)>) -> Result<Counts> {
        let (index, count) = shard.unwrap_or((0, 1));
        let row = sqlx::query(
            "SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0) AS done
             FROM targets WHERE run_id = $1 AND seq % $2 = $3",
        )
        .bind(run_id)
        .bind(count as i64)
        .bind(index as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts {
            done: get_count(&row, "done")?,
            total: get_count(&row, "total")?,
        })
    }

    /// When the next lease of this run (this shard) held by someone else
    /// expires, if any target is still leased.
    pub async fn next_expiry(
        &self,
        run_id: &str,
        shard: Option<(u64, u64)>,
    ) -> Result<Option<i64>> {
        let (index, count) = shard.unwrap_or((0, 1));
        let row = sqlx::query(
            "SELECT MIN(lease_until_ms) AS next FROM targets
             WHERE run_id = $1 AND state = 'leased' AND seq % $2 = $3",
        )
        .bind(run_id)
        .bind(count as i64)
        .bind(index as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>("next")?)
    }

    /// The run's stored results as JSON lines (for rewriting `--out`), in
    /// list order, this shard's.
    pub async fn result_lines(
        &self,
        run_id: &str,
        shard: Option<(u64, u64)>,
    ) -> Result<Vec<String>> {
        let (index, count) = shard.unwrap_or((0, 1));
        let rows = sqlx::query(
            "SELECT seq, spec, status, code, grade, not_after_ms, leaf_sha256, issuer, report
             FROM results WHERE run_id = $1 AND seq % $2 = $3 ORDER BY seq",
        )
        .bind(run_id)
        .bind(count as i64)
        .bind(index as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                let spec: String = row.try_get("spec")?;
                let report: String = row.try_get("report")?;
                let facts = facts_from(row)?;
                Ok(crate::batch::result_line(
                    run_id, seq, &spec, &facts, &report,
                ))
            })
            .collect()
    }

    /// The facts of every result of a run, in list order.
    pub async fn result_rows(&self, run_id: &str) -> Result<Vec<ResultRow>> {
        let rows = sqlx::query(
            "SELECT spec, status, code, grade, not_after_ms, leaf_sha256, issuer
             FROM results WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ResultRow {
                    target: row.try_get("spec")?,
                    facts: facts_from(row)?,
                })
            })
            .collect()
    }

    /// Every result of a run with what rejudging needs, in list order.
    pub async fn observations(&self, run_id: &str) -> Result<Vec<StoredObservations>> {
        let rows = sqlx::query(
            "SELECT seq, finished_ms, status, code, grade, not_after_ms, leaf_sha256, issuer, observations
             FROM results WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredObservations {
                    seq: row.try_get("seq")?,
                    finished_ms: row.try_get("finished_ms")?,
                    facts: facts_from(row)?,
                    observations: row.try_get("observations")?,
                })
            })
            .collect()
    }

    /// Replaces a result's judgement (report and facts) after a rejudge.
    pub async fn update_judgement(
        &self,
        run_id: &str,
        seq: i64,
        facts: &TargetFacts,
        report: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE results SET status = $1, code = $2, grade = $3, not_after_ms = $4, leaf_sha256 = $5,
                    issuer = $6, judged_with = $7, report = $8
             WHERE run_id = $9 AND seq = $10",
        )
        .bind(facts.status.map(|s| s.as_str()).unwrap_or("failed"))
        .bind(facts.code.clone())
        .bind(facts.grade.clone())
        .bind(facts.not_after.map(|d| (d.unix_timestamp_nanos() / 1_000_000) as i64))
        .bind(facts.leaf_sha256.clone())
        .bind(facts.issuer.clone())
        .bind(crate::batch::JUDGED_WITH)
        .bind(report)
        .bind(run_id)
        .bind(seq)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// (results, distinct targets with a result) of a run: equal when no
    /// result was written twice (the tests' check).
    pub async fn result_count(&self, run_id: &str) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS distinct_n FROM results WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((get_count(&row, "n")?, get_count(&row, "distinct_n")?))
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// COUNT(*) and SUM over integer columns are BIGINT on PostgreSQL and
/// INTEGER on SQLite: both read as i64.
fn get_count(row: &AnyRow, column: &str) -> Result<i64> {
    row.try_get::<i64, _>(column)
        .with_context(|| format!("cannot read the count {column}"))
}

fn facts_from(row: &AnyRow) -> Result<TargetFacts> {
    let status: String = row.try_get("status")?;
    Ok(TargetFacts {
        status: Status::parse(&status),
        code: row.try_get("code")?,
        grade: row.try_get("grade")?,
        not_after: row.try_get::<Option<i64>, _>("not_after_ms")?.map(from_ms),
        leaf_sha256: row.try_get("leaf_sha256")?,
        issuer: row.try_get("issuer")?,
    })
}

/// A database URL without its password, for messages.
pub fn redact(db: &str) -> String {
    match (db.find("://"), db.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &db[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &db[..scheme + 3], &db[at..]),
                None => db.to_string(),
            }
        }
        _ => db.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("postgres://u:secret@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact("fleet.db"), "fleet.db");
    }
}
