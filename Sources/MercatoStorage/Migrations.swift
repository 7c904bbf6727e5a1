import Foundation
import Logging
import SQLKit

/// One schema step. Migrations are numbered and append-only: a released migration is never edited; a change is a
/// new migration. The DDL uses only types both SQLite and PostgreSQL accept (TEXT, BIGINT); times are BIGINT
/// milliseconds since 1970.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]
    /// A migration for one backend only; on the other it is recorded as applied without running anything.
    public var only: Database.Kind? = nil
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "accounts and audit log", statements: [
            """
            CREATE TABLE publishers (
                id TEXT PRIMARY KEY,
                seller_id TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                mpn_id TEXT,
                created_at BIGINT NOT NULL
            )
            """,
            // spec-portal §1.4: a Publisher ID "can't be reused" — IDs of deleted publishers stay reserved here.
            "CREATE TABLE publisher_ids_used (id TEXT PRIMARY KEY, reserved_at BIGINT NOT NULL)",
            """
            CREATE TABLE tenants (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL REFERENCES publishers(id),
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX tenants_publisher ON tenants(publisher_id)",
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL REFERENCES publishers(id),
                tenant_id TEXT NOT NULL REFERENCES tenants(id),
                email TEXT NOT NULL,
                display_name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (publisher_id, email)
            )
            """,
            """
            CREATE TABLE user_groups (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL REFERENCES publishers(id),
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE group_members (
                group_id TEXT NOT NULL REFERENCES user_groups(id),
                user_id TEXT NOT NULL REFERENCES users(id),
                PRIMARY KEY (group_id, user_id)
            )
            """,
            """
            CREATE TABLE role_assignments (
                publisher_id TEXT NOT NULL REFERENCES publishers(id),
                principal_type TEXT NOT NULL,
                principal_id TEXT NOT NULL,
                role TEXT NOT NULL,
                PRIMARY KEY (publisher_id, principal_type, principal_id, role)
            )
            """,
            // spec-saas §2.1: a (tenant ID, app ID) pair belongs to exactly one publisher account.
            """
            CREATE TABLE api_applications (
                client_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id),
                publisher_id TEXT NOT NULL REFERENCES publishers(id),
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (tenant_id, client_id)
            )
            """,
            """
            CREATE TABLE api_application_secrets (
                id TEXT PRIMARY KEY,
                client_id TEXT NOT NULL REFERENCES api_applications(client_id),
                secret_hash TEXT NOT NULL,
                hint TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT,
                serial BIGINT NOT NULL
            )
            """,
            "CREATE INDEX api_application_secrets_client ON api_application_secrets(client_id)",
            """
            CREATE TABLE customers (
                tenant_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE customer_users (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES customers(tenant_id),
                email TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            // GOV-AUD-01/03: append-only, hash-chained. No code path updates or deletes these rows.
            """
            CREATE TABLE audit_log (
                seq BIGINT PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                time BIGINT NOT NULL,
                actor_type TEXT NOT NULL,
                actor_id TEXT NOT NULL,
                on_behalf_of TEXT,
                publisher_id TEXT,
                action TEXT NOT NULL,
                target_type TEXT NOT NULL,
                target_id TEXT NOT NULL,
                before_state TEXT,
                after_state TEXT,
                decision TEXT NOT NULL,
                reason TEXT,
                correlation_id TEXT,
                request_id TEXT,
                source_ip TEXT,
                platform_version TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_log_publisher ON audit_log(publisher_id, seq)",
            // The chain head: one row, locked by every append, so concurrent writers on PostgreSQL queue up
            // instead of forking the chain; also lets verification see records deleted from the end.
            "CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')",
        ]),
        Migration(version: 2, name: "token signing keys", statements: [
            // spec-saas §2.1: Mercato is the token authority; its RS256 keys are published as JWKS.
            """
            CREATE TABLE signing_keys (
                kid TEXT PRIMARY KEY,
                private_key_pem TEXT NOT NULL,
                public_key_pem TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                retired_at BIGINT,
                serial BIGINT NOT NULL UNIQUE
            )
            """,
        ]),
        Migration(version: 3, name: "catalog: offers, publishing history and operations", statements: [
            // Offer documents are JSON per slot (draft / preview / live, as in the CPP API); searchable and
            // unique-constrained fields are copied into columns.
            """
            CREATE TABLE offers (
                publisher_id TEXT NOT NULL REFERENCES publishers(id),
                offer_id TEXT NOT NULL,
                type TEXT NOT NULL,
                status TEXT NOT NULL,
                state_json TEXT NOT NULL,
                draft_json TEXT NOT NULL,
                preview_json TEXT,
                live_json TEXT,
                version BIGINT NOT NULL,
                aad_tenant_id TEXT,
                aad_app_id TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (publisher_id, offer_id)
            )
            """,
            "CREATE INDEX offers_status ON offers(status)",
            "CREATE INDEX offers_app ON offers(aad_tenant_id, aad_app_id)",
            """
            CREATE TABLE offer_history (
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                seq BIGINT NOT NULL,
                time BIGINT NOT NULL,
                event TEXT NOT NULL,
                initiated_by TEXT,
                details TEXT,
                PRIMARY KEY (publisher_id, offer_id, seq)
            )
            """,
            """
            CREATE TABLE publish_operations (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                operation_json TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                claimed_until BIGINT
            )
            """,
            "CREATE INDEX publish_operations_pending ON publish_operations(status, created_at)",
            "CREATE INDEX publish_operations_offer ON publish_operations(publisher_id, offer_id)",
        ]),
        Migration(version: 4, name: "SaaS subscriptions, operations and purchase tokens", statements: [
            """
            CREATE TABLE subscriptions (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                status TEXT NOT NULL,
                plan_id TEXT NOT NULL,
                customer_tenant_id TEXT NOT NULL,
                has_paid BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                subscription_json TEXT NOT NULL
            )
            """,
            // spec-saas §3.3: list per publisher in a stable order, 100 per page.
            "CREATE INDEX subscriptions_publisher ON subscriptions(publisher_id, created_at, id)",
            "CREATE INDEX subscriptions_customer ON subscriptions(customer_tenant_id, offer_id)",
            """
            CREATE TABLE saas_operations (
                id TEXT PRIMARY KEY,
                subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
                status TEXT NOT NULL,
                is_final BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                operation_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX saas_operations_subscription ON saas_operations(subscription_id, created_at)",
            "CREATE INDEX saas_operations_unfinished ON saas_operations(is_final, created_at)",
            // Only hashes of purchase tokens are kept (a token is a bearer secret in a URL).
            """
            CREATE TABLE purchase_tokens (
                token_hash TEXT PRIMARY KEY,
                subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
                publisher_id TEXT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 5, name: "webhook outbox, lifecycle, clock and fault injection", statements: [
            "ALTER TABLE subscriptions ADD COLUMN next_event_at BIGINT",
            "CREATE INDEX subscriptions_next_event ON subscriptions(next_event_at)",
            // spec-saas §6: one row per notification; retried with backoff for 8 hours, then dead-lettered.
            """
            CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                operation_id TEXT NOT NULL,
                action TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                delivered_at BIGINT,
                claimed_until BIGINT,
                delivery_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries(subscription_id, status, created_at, seq)",
            "CREATE INDEX webhook_deliveries_publisher ON webhook_deliveries(publisher_id, created_at)",
            """
            CREATE TABLE webhook_attempts (
                delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
                number BIGINT NOT NULL,
                at BIGINT NOT NULL,
                status_code BIGINT,
                error TEXT,
                latency_ms BIGINT NOT NULL,
                injected_fault TEXT,
                PRIMARY KEY (delivery_id, number)
            )
            """,
            "CREATE TABLE customer_payment (tenant_id TEXT PRIMARY KEY, failing BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            // The marketplace clock's offset from wall time, shared by every process on this database.
            "CREATE TABLE marketplace_clock (id BIGINT PRIMARY KEY, offset_ms BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "INSERT INTO marketplace_clock (id, offset_ms, updated_at) VALUES (1, 0, 0)",
            """
            CREATE TABLE fault_rules (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                rule_json TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
        ]),
        Migration(version: 6, name: "metering: usage events", statements: [
            // spec-saas §7.3: one event per (resource, dimension, UTC hour). No clustered random key; the unique index
            // leads with the hour (ARCHITECTURE "Key and index order decide SQLite's write speed").
            """
            CREATE TABLE usage_events (
                hour BIGINT NOT NULL,
                resource_id TEXT NOT NULL,
                dimension TEXT NOT NULL,
                usage_event_id TEXT NOT NULL,
                quantity TEXT NOT NULL,
                quantity_text TEXT NOT NULL,
                effective_start_time TEXT NOT NULL,
                effective_at BIGINT NOT NULL,
                plan_id TEXT NOT NULL,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                message_time BIGINT NOT NULL,
                resource_uri TEXT,
                azure_subscription_id TEXT NOT NULL,
                recon_status TEXT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX usage_events_key ON usage_events(hour, resource_id, dimension)",
            "CREATE INDEX usage_events_publisher ON usage_events(publisher_id, hour)",
        ]),
        Migration(version: 7, name: "metered usage anomalies", statements: [
            """
            CREATE TABLE usage_anomalies (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                dimension TEXT NOT NULL,
                usage_day BIGINT NOT NULL,
                state TEXT NOT NULL,
                first_flagged_at BIGINT NOT NULL,
                anomaly_json TEXT NOT NULL,
                UNIQUE (resource_id, dimension, usage_day)
            )
            """,
            "CREATE INDEX usage_anomalies_publisher ON usage_anomalies(publisher_id, first_flagged_at)",
            "CREATE TABLE marketplace_jobs (name TEXT PRIMARY KEY, last_run BIGINT NOT NULL)",
        ]),
        Migration(version: 8, name: "billing ledger, invoices, earnings and payouts", statements: [
            // Quantities in millionths next to the text, so the billing run sums usage exactly in SQL.
            "ALTER TABLE usage_events ADD COLUMN quantity_micros BIGINT",
            "UPDATE usage_events SET quantity_micros = CAST(ROUND(CAST(quantity AS NUMERIC) * 1000000) AS BIGINT)",
            """
            CREATE TABLE billing_charges (
                charge_key TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                plan_id TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                customer_tenant_id TEXT NOT NULL,
                market TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount_minor BIGINT NOT NULL,
                quantity TEXT NOT NULL,
                description TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                dimension TEXT
            )
            """,
            "CREATE INDEX billing_charges_subscription ON billing_charges(subscription_id, occurred_at)",
            "CREATE INDEX billing_charges_time ON billing_charges(occurred_at)",
            "CREATE INDEX billing_charges_publisher ON billing_charges(publisher_id, occurred_at)",
            """
            CREATE TABLE invoices (
                id TEXT PRIMARY KEY,
                customer_tenant_id TEXT NOT NULL,
                period TEXT NOT NULL,
                currency TEXT NOT NULL,
                issued_at BIGINT NOT NULL,
                total_minor BIGINT NOT NULL
            )
            """,
            "CREATE INDEX invoices_customer ON invoices(customer_tenant_id, issued_at)",
            """
            CREATE TABLE invoice_lines (
                charge_key TEXT PRIMARY KEY REFERENCES billing_charges(charge_key),
                invoice_id TEXT NOT NULL REFERENCES invoices(id),
                line_item_id TEXT NOT NULL UNIQUE
            )
            """,
            "CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id)",
            "CREATE TABLE invoice_payments (invoice_id TEXT PRIMARY KEY REFERENCES invoices(id), collected_at BIGINT NOT NULL)",
            """
            CREATE TABLE earnings (
                earning_id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                invoice_id TEXT NOT NULL REFERENCES invoices(id),
                line_item_id TEXT NOT NULL UNIQUE,
                charge_key TEXT NOT NULL,
                currency TEXT NOT NULL,
                transaction_amount_minor BIGINT NOT NULL,
                fee_rate TEXT NOT NULL,
                store_fee_minor BIGINT NOT NULL,
                earning_amount_minor BIGINT NOT NULL,
                transaction_type TEXT NOT NULL,
                transaction_date BIGINT NOT NULL,
                collected_at BIGINT NOT NULL,
                eligible_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX earnings_publisher ON earnings(publisher_id, eligible_at)",
            "CREATE TABLE billing_periods (period TEXT PRIMARY KEY, summary_json TEXT NOT NULL)",
            "CREATE TABLE usage_allowances (allowance_key TEXT PRIMARY KEY, consumed_micros BIGINT NOT NULL)",
            "CREATE TABLE payout_settings (publisher_id TEXT PRIMARY KEY, settings_json TEXT NOT NULL)",
            """
            CREATE TABLE payouts (
                payment_id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                month TEXT NOT NULL,
                status TEXT NOT NULL,
                payout_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX payouts_publisher ON payouts(publisher_id, month)",
            "CREATE TABLE payout_items (earning_id TEXT PRIMARY KEY REFERENCES earnings(earning_id), payment_id TEXT NOT NULL REFERENCES payouts(payment_id))",
            "CREATE TABLE payout_stages (stage_key TEXT PRIMARY KEY, ran_at BIGINT NOT NULL)",
        ]),
        Migration(version: 9, name: "private offers", statements: [
            """
            CREATE TABLE private_offers (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                customer_tenant_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                offer_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX private_offers_customer ON private_offers(customer_tenant_id, publisher_id, offer_id)",
            "CREATE INDEX private_offers_publisher ON private_offers(publisher_id, created_at)",
        ]),
        // A change feed for the subscription read cache: every write takes the next number from one counter row (its
        // lock orders the numbers in commit order), so a replica asks "what changed since N" instead of re-reading
        // every cached subscription each second.
        Migration(version: 10, name: "subscription change feed", statements: [
            "ALTER TABLE subscriptions ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0",
            "CREATE INDEX subscriptions_change ON subscriptions(change_seq)",
            "CREATE TABLE change_counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL)",
            "INSERT INTO change_counters (name, n) VALUES ('subscriptions', 0)",
        ]),
        Migration(version: 11, name: "customer sign-in and leads", statements: [
            "CREATE TABLE customer_passwords (user_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, updated_at BIGINT NOT NULL)",
            """
            CREATE TABLE web_sessions (
                id_hash TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                tenant_id TEXT NOT NULL,
                email TEXT NOT NULL,
                display_name TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX web_sessions_expiry ON web_sessions(expires_at)",
            """
            CREATE TABLE leads (
                id TEXT PRIMARY KEY,
                publisher_id TEXT NOT NULL,
                offer_id TEXT NOT NULL,
                status TEXT NOT NULL,
                next_attempt_at BIGINT,
                created_at BIGINT NOT NULL,
                lead_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX leads_publisher ON leads(publisher_id, created_at)",
            "CREATE INDEX leads_due ON leads(status, next_attempt_at)",
        ]),
        Migration(version: 12, name: "publisher portal sign-in", statements: [
            "CREATE TABLE publisher_passwords (user_id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, updated_at BIGINT NOT NULL)",
            "ALTER TABLE web_sessions ADD COLUMN realm TEXT NOT NULL DEFAULT 'customer'",
            "CREATE INDEX users_email ON users(email)",
        ]),
        Migration(version: 13, name: "managed-application instances (metering)", statements: [
            """
            CREATE TABLE managed_applications (
                usage_id TEXT PRIMARY KEY,
                resource_uri_key TEXT NOT NULL UNIQUE,
                publisher_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                app_json TEXT NOT NULL
            )
            """,
            "CREATE INDEX managed_applications_publisher ON managed_applications(publisher_id, created_at)",
        ]),
        // SQLite: the usage writer decides duplicates from its in-memory key index (it is the file's only usage
        // inserter, held by a lock file); the unique index on a random key made every small commit rewrite scattered
        // index pages into the WAL (docs/architecture.md "Usage events on SQLite"). The hour index serves the key
        // index's loads and the billing run's hour ranges, and grows only at its end. PostgreSQL, where replicas insert
        // concurrently, keeps the unique index.
        Migration(version: 14, name: "usage events: de-duplicated by the SQLite usage writer", statements: [
            "DROP INDEX usage_events_key",
            "CREATE INDEX usage_events_hour ON usage_events(hour)",
        ], only: .sqlite),
    ]
}

/// Applies pending migrations, each in its own transaction, recording them in `schema_migrations`.
public enum Migrator {
    @discardableResult
    public static func migrate(_ db: Database, logger: Logger, migrations: [Migration] = Migrations.all) async throws -> [Int] {
        try await db.sql.raw("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
            """).run()
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let ran = try await db.write { tx -> Bool in
                if db.kind == .postgres {
                    // Replicas starting together: one migrates, the others wait and then see it done.
                    try await tx.raw("SELECT pg_advisory_xact_lock(7263540)").run()
                }
                let done = try await tx.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").all()
                guard done.isEmpty else { return false }
                do {
                    for statement in migration.statements where migration.only == nil || migration.only == db.kind {
                        try await tx.raw(SQLQueryString(statement)).run()
                    }
                } catch {
                    throw StorageError.migrationFailed(version: migration.version, name: migration.name, underlying: String(reflecting: error))
                }
                try await tx.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Date().millis))
                    """).run()
                return true
            }
            if ran {
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// Versions recorded as applied.
    public static func appliedVersions(_ db: Database) async throws -> [Int] {
        try await db.sql.raw("SELECT version FROM schema_migrations ORDER BY version").all()
            .map { try $0.decode(column: "version", as: Int.self) }
    }
}
