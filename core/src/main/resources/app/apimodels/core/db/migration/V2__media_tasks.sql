-- Media files, generation tasks and the job runner. Portable between PostgreSQL and H2.

-- H2 compiles IN lists (and ORs of equalities, which it turns into IN lists) in a check
-- constraint against the session that created it, and fails every later check once that session
-- is closed ("The database has been closed") -- as soon as the pool retires the migration's
-- connection. So checks are written as CASE expressions, which H2 evaluates in the caller's session.
ALTER TABLE apimodels_account DROP CONSTRAINT apimodels_account_role_ck;
ALTER TABLE apimodels_account ADD CONSTRAINT apimodels_account_role_ck
    CHECK (CASE WHEN role = 'user' THEN TRUE WHEN role = 'admin' THEN TRUE ELSE FALSE END);
ALTER TABLE apimodels_ledger_account DROP CONSTRAINT apimodels_ledger_account_nonneg_ck;
ALTER TABLE apimodels_ledger_account ADD CONSTRAINT apimodels_ledger_account_nonneg_ck
    CHECK (CASE WHEN kind = 'wallet' THEN balance >= 0 WHEN kind = 'hold' THEN balance >= 0 ELSE TRUE END);
ALTER TABLE apimodels_hold DROP CONSTRAINT apimodels_hold_state_ck;
ALTER TABLE apimodels_hold ADD CONSTRAINT apimodels_hold_state_ck
    CHECK (CASE WHEN state = 'pending' THEN TRUE WHEN state = 'posted' THEN TRUE WHEN state = 'voided' THEN TRUE
               WHEN state = 'expired' THEN TRUE ELSE FALSE END);

-- Signs the task notifications sent to the account's callback_url (X-Apimodels-Signature).
ALTER TABLE apimodels_account ADD COLUMN webhook_secret VARCHAR(80);

-- A stored file: an upload, a fetched model input, or a generated output. The bytes live in the
-- configured MediaStorage under storage_key; the row says who owns them and how long they stay.
CREATE TABLE apimodels_media_object (
    id           VARCHAR(40)  PRIMARY KEY,
    account_id   BIGINT       NOT NULL REFERENCES apimodels_account (id),
    kind         VARCHAR(8)   NOT NULL,
    storage_key  VARCHAR(300) NOT NULL,
    content_type VARCHAR(120) NOT NULL,
    size         BIGINT       NOT NULL,
    sha256       VARCHAR(64)  NOT NULL,
    file_name    VARCHAR(255),
    task_id      VARCHAR(40),
    created_at   BIGINT       NOT NULL,
    expires_at   BIGINT,
    deleted_at   BIGINT,
    CONSTRAINT apimodels_media_object_kind_ck CHECK (CASE WHEN kind = 'upload' THEN TRUE WHEN kind = 'input' THEN TRUE
                                                WHEN kind = 'output' THEN TRUE ELSE FALSE END)
);
CREATE INDEX apimodels_media_object_account_ix ON apimodels_media_object (account_id, created_at);
CREATE INDEX apimodels_media_object_expiry_ix ON apimodels_media_object (deleted_at, expires_at);

-- An asynchronous generation. state: submitting (hold taken, upstream not yet answered),
-- running (upstream working), rehosting (upstream done, copying outputs), completed, failed.
CREATE TABLE apimodels_task (
    id              VARCHAR(40)   PRIMARY KEY,
    account_id      BIGINT        NOT NULL REFERENCES apimodels_account (id),
    key_id          BIGINT,
    kind            VARCHAR(8)    NOT NULL,
    model           VARCHAR(200)  NOT NULL,
    provider        VARCHAR(100),
    upstream_model  VARCHAR(200),
    upstream_id     VARCHAR(300),
    state           VARCHAR(12)   NOT NULL,
    input           VARCHAR       NOT NULL,
    callback_url    VARCHAR(2000),
    base_url        VARCHAR(500)  NOT NULL,
    hold_id         VARCHAR(40),
    hold_amount     BIGINT        NOT NULL,
    cost_micros     BIGINT,
    outputs         VARCHAR,
    usage_doc       VARCHAR(400),
    result_ids      VARCHAR(2000),
    fail_msg        VARCHAR(500),
    polls           INT           NOT NULL DEFAULT 0,
    woken_at        BIGINT,
    created_at      BIGINT        NOT NULL,
    updated_at      BIGINT        NOT NULL,
    deadline_at     BIGINT        NOT NULL,
    completed_at    BIGINT,
    callback_state  VARCHAR(10),
    callback_tries  INT           NOT NULL DEFAULT 0,
    CONSTRAINT apimodels_task_state_ck CHECK (CASE WHEN state = 'submitting' THEN TRUE WHEN state = 'running' THEN TRUE
                                         WHEN state = 'rehosting' THEN TRUE WHEN state = 'completed' THEN TRUE
                                         WHEN state = 'failed' THEN TRUE ELSE FALSE END)
);
CREATE INDEX apimodels_task_account_ix ON apimodels_task (account_id, created_at);
CREATE INDEX apimodels_task_upstream_ix ON apimodels_task (provider, upstream_id);
CREATE INDEX apimodels_task_state_ix ON apimodels_task (state);

-- db-scheduler's table (cluster-safe job runner on this database).
CREATE TABLE apimodels_jobs (
    task_name            VARCHAR(100) NOT NULL,
    task_instance        VARCHAR(100) NOT NULL,
    task_data            BYTEA,
    execution_time       TIMESTAMP WITH TIME ZONE NOT NULL,
    picked               BOOLEAN      NOT NULL,
    picked_by            VARCHAR(50),
    last_success         TIMESTAMP WITH TIME ZONE,
    last_failure         TIMESTAMP WITH TIME ZONE,
    consecutive_failures INT,
    last_heartbeat       TIMESTAMP WITH TIME ZONE,
    version              BIGINT       NOT NULL,
    priority             SMALLINT,
    PRIMARY KEY (task_name, task_instance)
);
CREATE INDEX apimodels_jobs_time_ix ON apimodels_jobs (execution_time);
CREATE INDEX apimodels_jobs_heartbeat_ix ON apimodels_jobs (last_heartbeat);
CREATE INDEX apimodels_jobs_priority_ix ON apimodels_jobs (priority, execution_time);
