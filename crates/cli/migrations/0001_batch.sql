-- The batch store (tlsdoctor batch / report / rejudge), the same SQL for
-- SQLite and PostgreSQL: TEXT and BIGINT only, times as Unix milliseconds.

-- One run: a target list at a depth. The same command resumes the newest
-- unfinished run with its key; after it finished, the same command starts
-- the next generation.
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    run_key TEXT NOT NULL,
    generation BIGINT NOT NULL,
    depth TEXT NOT NULL,
    -- The options that shape a result (JSON), so a worker judges alike.
    options TEXT NOT NULL,
    targets_total BIGINT NOT NULL,
    -- 1 once every target row is in: a run cut off while being added is
    -- completed (idempotently) by the next start.
    ready BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    UNIQUE (run_key, generation)
);

-- The queue: one row per target of a run. A worker leases rows
-- (state 'leased', owner, lease_until_ms) and renews the lease while it
-- works; an expired lease returns the row to every worker.
CREATE TABLE targets (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    lease_owner TEXT,
    lease_until_ms BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX targets_by_state ON targets (run_id, state, seq);

-- One result per target of a run, written in the same transaction that
-- marks the target done, by the worker that holds its lease.
CREATE TABLE results (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    spec TEXT NOT NULL,
    finished_ms BIGINT NOT NULL,
    worker TEXT NOT NULL,
    elapsed_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    grade TEXT,
    not_after_ms BIGINT,
    leaf_sha256 TEXT,
    issuer TEXT,
    -- The tlsdoctor version whose rules produced report and the columns.
    judged_with TEXT NOT NULL,
    report TEXT NOT NULL,
    -- The raw observations (replayable JSON): `rejudge` judges them again.
    observations TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
