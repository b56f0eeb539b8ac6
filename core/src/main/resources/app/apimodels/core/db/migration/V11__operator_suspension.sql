-- An operator's suspension of an account (abuse, unpaid disputes): like the holder's own
-- restriction of processing (V7's restricted_at) it stops calls and keeps the data, but only an
-- operator lifts it. The reason is the operator's note, shown to operators only.
ALTER TABLE apimodels_account ADD COLUMN suspended_at BIGINT;
ALTER TABLE apimodels_account ADD COLUMN suspended_reason VARCHAR(500);
