CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`pid` integer NOT NULL,
	`host` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `messages_conversation_idx`;--> statement-breakpoint
ALTER TABLE `messages` ADD `instance_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `messages_conversation_sequence_idx` ON `messages` (`conversation_id`,`sequence`);--> statement-breakpoint
CREATE INDEX `messages_status_idx` ON `messages` (`status`,`instance_id`);--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `instance_id` text;--> statement-breakpoint
CREATE INDEX `tool_calls_status_idx` ON `tool_calls` (`status`,`instance_id`);