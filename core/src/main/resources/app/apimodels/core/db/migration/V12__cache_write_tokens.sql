-- The part of a call's input tokens the upstream wrote to its prompt cache (Anthropic's
-- cache_creation_input_tokens), priced at cache-write-per-1m-tokens; 0 for rows before it existed.
ALTER TABLE apimodels_call_log ADD COLUMN cache_write_tokens BIGINT DEFAULT 0 NOT NULL;
