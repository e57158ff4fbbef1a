CREATE TABLE `rate_limit_hits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`hits` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `messages_status_idx`;--> statement-breakpoint
CREATE INDEX `messages_streaming_idx` ON `messages` (`conversation_id`,`instance_id`) WHERE "messages"."status" = 'streaming';--> statement-breakpoint
DROP INDEX `tool_calls_status_idx`;--> statement-breakpoint
CREATE INDEX `tool_calls_message_idx` ON `tool_calls` (`message_id`);--> statement-breakpoint
CREATE INDEX `tool_calls_running_idx` ON `tool_calls` (`instance_id`) WHERE "tool_calls"."status" = 'running';