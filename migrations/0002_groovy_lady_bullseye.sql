ALTER TABLE `tool_calls` ADD `changes_data` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `snapshot` text;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `snapshot_at` integer;--> statement-breakpoint
ALTER TABLE `tool_calls` ADD `revert_of` text;