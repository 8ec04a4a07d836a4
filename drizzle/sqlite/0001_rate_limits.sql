-- Hand-edited: IF NOT EXISTS, because before this migration the code created rate_limits itself
-- (same columns; rate-limiter-flexible's shape), and such a database must migrate cleanly.
CREATE TABLE IF NOT EXISTS `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`points` integer DEFAULT 0 NOT NULL,
	`expire` integer
);
