-- Abuse limits. Portable between PostgreSQL and H2.

-- What an admin set for one account or API key; a NULL column keeps the configured default
-- (apimodels.limits.<scope>.*), 0 is unlimited. Nodes read it through a cache.
CREATE TABLE apimodels_abuse_limit (
    scope               VARCHAR(8) NOT NULL,
    subject_id          BIGINT     NOT NULL,
    requests_per_minute BIGINT,
    tokens_per_minute   BIGINT,
    concurrent_calls    BIGINT,
    updated_at          BIGINT     NOT NULL,
    CONSTRAINT apimodels_abuse_limit_pk PRIMARY KEY (scope, subject_id),
    -- A CASE, not an IN list: see V2 on H2's check constraints.
    CONSTRAINT apimodels_abuse_limit_scope_ck CHECK (CASE WHEN scope = 'account' THEN TRUE WHEN scope = 'key' THEN TRUE ELSE FALSE END)
);

-- The nodes serving this database, each beating every few seconds: each node enforces the limits
-- divided by the number of live nodes.
CREATE TABLE apimodels_node (
    name    VARCHAR(100) PRIMARY KEY,
    seen_at BIGINT       NOT NULL
);
