ALTER TABLE "approvals" ALTER COLUMN "arguments" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "model_messages" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "tool_calls" ALTER COLUMN "arguments" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "tool_calls" ALTER COLUMN "result" SET DATA TYPE json;