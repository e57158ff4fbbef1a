ALTER TABLE `pending_authorizations` ADD `authorize_url_ciphertext` text;--> statement-breakpoint
ALTER TABLE `pending_authorizations` ADD `code_ciphertext` text;--> statement-breakpoint
ALTER TABLE `pending_authorizations` ADD `confirmation_token_hash` text;--> statement-breakpoint
ALTER TABLE `pending_authorizations` ADD `failed_confirmations` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_authorizations` ADD `cancelled_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `pending_authorizations_confirmation_idx` ON `pending_authorizations` (`confirmation_token_hash`);