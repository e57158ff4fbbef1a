PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_tool_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`conversation_id` text,
	`message_id` text,
	`step` integer,
	`safe_name` text,
	`name` text NOT NULL,
	`server` text NOT NULL,
	`arguments` text,
	`result` text,
	`is_error` integer NOT NULL,
	`status` text NOT NULL,
	`source` text NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer,
	`changes_data` integer DEFAULT false NOT NULL,
	`snapshot` text,
	`snapshot_at` integer,
	`revert_of` text,
	`instance_id` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_tool_calls`("id", "user_id", "conversation_id", "message_id", "step", "safe_name", "name", "server", "arguments", "result", "is_error", "status", "source", "started_at", "duration_ms", "changes_data", "snapshot", "snapshot_at", "revert_of", "instance_id") SELECT "id", "user_id", "conversation_id", "message_id", "step", "safe_name", "name", "server", "arguments", "result", "is_error", "status", "source", "started_at", "duration_ms", "changes_data", "snapshot", "snapshot_at", "revert_of", "instance_id" FROM `tool_calls`;--> statement-breakpoint
DROP TABLE `tool_calls`;--> statement-breakpoint
ALTER TABLE `__new_tool_calls` RENAME TO `tool_calls`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `tool_calls_user_started_idx` ON `tool_calls` (`user_id`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `tool_calls_unattached_conversation_idx` ON `tool_calls` (`conversation_id`) WHERE "tool_calls"."message_id" is null;--> statement-breakpoint
CREATE INDEX `tool_calls_message_idx` ON `tool_calls` (`message_id`);--> statement-breakpoint
CREATE INDEX `tool_calls_running_idx` ON `tool_calls` (`instance_id`) WHERE "tool_calls"."status" = 'running';