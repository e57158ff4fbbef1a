CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`message_id` text NOT NULL,
	`tool_call_id` text NOT NULL,
	`model_tool_call_id` text NOT NULL,
	`safe_name` text NOT NULL,
	`name` text NOT NULL,
	`server` text NOT NULL,
	`arguments` text NOT NULL,
	`preview` text NOT NULL,
	`preview_basis` text,
	`status` text NOT NULL,
	`reason` text,
	`decided_at` integer,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tool_call_id`) REFERENCES `tool_calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `approvals_message_idx` ON `approvals` (`message_id`);--> statement-breakpoint
CREATE INDEX `approvals_tool_call_idx` ON `approvals` (`tool_call_id`);--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `changes_data` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `snapshot` text;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `snapshot_at` integer;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `revert_of` text;