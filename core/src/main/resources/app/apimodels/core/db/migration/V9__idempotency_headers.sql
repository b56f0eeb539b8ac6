-- The headers of a kept answer (JSON object), so a replay answers with them too (x-request-id,
-- a task's id on a file answer); null for answers kept before this column existed.
ALTER TABLE apimodels_idempotency_record ADD COLUMN headers VARCHAR(4000);
