-- The mail outbox: one row per letter, written in the transaction that decided to send it (a
-- sign-up, a paid order) so a rolled-back change sends nothing, and sent later by the mail job on
-- whichever node claims it. Portable between PostgreSQL and H2.
CREATE TABLE apimodels_mail_outbox (
    id              VARCHAR(40)   PRIMARY KEY,  -- also the Idempotency-Key given to the mail service
    dedupe_key      VARCHAR(200),               -- the same key is queued once
    recipient       VARCHAR(320)  NOT NULL,
    template        VARCHAR(40)   NOT NULL,
    locale          VARCHAR(35)   NOT NULL,
    vals            VARCHAR(20000) NOT NULL,    -- the template's values, a JSON object of strings
    state           VARCHAR(8)    NOT NULL,     -- queued | sent | failed (permanently)
    attempts        INTEGER       NOT NULL DEFAULT 0,
    next_attempt_at BIGINT        NOT NULL,
    claimed_by      VARCHAR(60),                -- the node sending it now, until claimed_until
    claimed_until   BIGINT,
    last_error      VARCHAR(500),               -- the mail service's refusal, naming no secret
    provider_id     VARCHAR(200),               -- the mail service's id for the sent message
    created_at      BIGINT        NOT NULL,
    sent_at         BIGINT,
    failed_at       BIGINT,
    CONSTRAINT apimodels_mail_outbox_dedupe_uq UNIQUE (dedupe_key),
    CONSTRAINT apimodels_mail_outbox_state_ck CHECK (CASE WHEN state = 'queued' THEN TRUE WHEN state = 'sent' THEN TRUE
                                                     WHEN state = 'failed' THEN TRUE ELSE FALSE END)
);
CREATE INDEX apimodels_mail_outbox_due_ix ON apimodels_mail_outbox (state, next_attempt_at);
CREATE INDEX apimodels_mail_outbox_recipient_ix ON apimodels_mail_outbox (recipient);
