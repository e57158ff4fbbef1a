ALTER TABLE "tool_calls" DROP CONSTRAINT "tool_calls_conversation_id_conversations_id_fk";
--> statement-breakpoint
DROP INDEX "tool_calls_conversation_idx";--> statement-breakpoint
CREATE INDEX "tool_calls_unattached_conversation_idx" ON "tool_calls" USING btree ("conversation_id") WHERE "tool_calls"."message_id" is null;