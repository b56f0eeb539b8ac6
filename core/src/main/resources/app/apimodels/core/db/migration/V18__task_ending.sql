-- A task's outcome is claimed (failing, completing) before its hold ends, and shown (failed,
-- completed) only after: a client that sees a task finished sees its money final. fail_status is
-- the status a failed task's call-log row records, kept with the claim so that a run resuming
-- after a crash logs what the first one would have.
ALTER TABLE apimodels_task DROP CONSTRAINT apimodels_task_state_ck;
ALTER TABLE apimodels_task ADD CONSTRAINT apimodels_task_state_ck CHECK (CASE WHEN state = 'submitting' THEN TRUE
    WHEN state = 'running' THEN TRUE WHEN state = 'rehosting' THEN TRUE WHEN state = 'failing' THEN TRUE
    WHEN state = 'completing' THEN TRUE WHEN state = 'completed' THEN TRUE WHEN state = 'failed' THEN TRUE ELSE FALSE END);
ALTER TABLE apimodels_task ADD COLUMN fail_status INT;
