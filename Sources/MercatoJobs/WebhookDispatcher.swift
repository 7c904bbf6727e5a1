import Foundation
import Logging
import MercatoAuth
import MercatoCore
import ServiceLifecycle

/// Delivers the webhook outbox (spec-saas §6): oldest-first per subscription, a fresh signed JWT on every attempt
/// (aud = the publisher's app, tid = its tenant, appid/azp = the Marketplace API; spec-saas §2.3), retries with
/// backoff for 8 hours, then dead-letter. A 4xx answer to ChangePlan/ChangeQuantity/Reinstate rejects the change.
/// Injected webhook faults replace the real call and are logged as such.
public struct WebhookDispatcher: Service {
    let webhooks: any WebhookRepository
    let subscriptions: SubscriptionService
    let keys: SigningKeyService
    let faults: any FaultRepository
    let transport: any WebhookTransport
    let tokenClock: any MarketplaceClock
    let logger: Logger
    let interval: Duration

    public init(webhooks: any WebhookRepository, subscriptions: SubscriptionService, keys: SigningKeyService, faults: any FaultRepository,
                transport: any WebhookTransport, tokenClock: any MarketplaceClock, logger: Logger, interval: Duration = .milliseconds(250)) {
        self.webhooks = webhooks
        self.subscriptions = subscriptions
        self.keys = keys
        self.faults = faults
        self.transport = transport
        self.tokenClock = tokenClock
        self.logger = logger
        self.interval = interval
    }

    @discardableResult
    public func runOnce() async throws -> [WebhookAttempt] {
        var attempts: [WebhookAttempt] = []
        while true {
            let due = try await webhooks.claimDue(now: subscriptions.clock.now(), limit: 20, lease: 60)
            if due.isEmpty { break }
            for d in due { attempts.append(try await attempt(d)) }
        }
        return attempts
    }

    func attempt(_ delivery: WebhookDelivery) async throws -> WebhookAttempt {
        var d = delivery
        let now = subscriptions.clock.now()
        let number = d.attempts + 1
        if WebhookRetryPolicy.isExpired(d, now: now) {
            d.status = .deadLettered
            d.lastError = "not delivered within the 8-hour retry window"
            let a = WebhookAttempt(deliveryId: d.id, number: number, at: now, statusCode: nil, error: d.lastError, latencyMilliseconds: 0)
            d.attempts = number
            try await webhooks.record(a, delivery: d)
            return a
        }
        let rules = try await faults.rules(publisherId: d.publisherId)
        let roll = Int(subscriptions.ids.randomBytes(1)[0]) % 100
        let fault = FaultInjector.pick(rules, scope: .webhook, publisherId: d.publisherId, offerId: d.offerId, roll: roll)
        let started = DispatchTime.now()
        var status: Int?
        var error: String?
        var injected: String?
        if let fault {
            if let ms = fault.latencyMilliseconds, ms > 0 { try? await Task.sleep(for: .milliseconds(ms)) }
            if fault.timeout {
                error = "timed out (injected fault \(fault.id))"
                injected = "timeout"
            } else if let code = fault.statusCode {
                status = code
                injected = "HTTP \(code)"
            }
        }
        if injected == nil {
            let token = try await keys.sign(webhookClaims(d))
            (status, error) = await transport.post(url: d.url, headers: [
                ("Content-Type", "application/json"), ("Authorization", "Bearer \(token)"), ("User-Agent", "Mercato-Webhook/1.0"),
                ("x-ms-requestid", d.operationId), ("x-ms-correlationid", d.id),
            ], body: d.payload, timeout: 10, sandbox: d.sandbox)
        }
        let latency = Int((DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1_000_000)
        d.attempts = number
        if d.firstAttemptAt == nil { d.firstAttemptAt = now }
        let attempt = WebhookAttempt(deliveryId: d.id, number: number, at: now, statusCode: status, error: error,
                                     latencyMilliseconds: latency, injectedFault: injected)
        if let status, (200..<300).contains(status) {
            d.status = .delivered
            d.deliveredAt = now
            d.lastError = nil
        } else if let status, (400..<500).contains(status), d.action.needsAcknowledgement, injected == nil,
                  let op = try await subscriptions.repository.operation(id: d.operationId), op.status == .inProgress {
            // spec-saas §6.2: a 4xx answer (within the window) rejects ChangePlan/ChangeQuantity.
            try? await subscriptions.complete(op.id, subscriptionId: op.subscriptionId, event: .acknowledgeFailure, context: .system)
            d.status = .delivered
            d.deliveredAt = now
            d.lastError = "rejected by the publisher with HTTP \(status)"
        } else if error?.hasPrefix("refused:") == true {
            d.status = .deadLettered
            d.lastError = error
        } else {
            d.lastError = error ?? "HTTP \(status ?? 0)"
            let next = now.addingTimeInterval(WebhookRetryPolicy.delay(afterAttempt: number))
            if next.timeIntervalSince(d.firstAttemptAt ?? now) >= WebhookRetryPolicy.window {
                d.status = .deadLettered
            } else {
                d.nextAttemptAt = next
            }
        }
        try await webhooks.record(attempt, delivery: d)
        logger.info("webhook attempt", metadata: [
            "deliveryId": .string(d.id), "action": .string(d.action.rawValue), "attempt": .stringConvertible(number),
            "status": .string(status.map(String.init) ?? "-"), "result": .string(d.status.rawValue), "publisherId": .string(d.publisherId),
        ])
        return attempt
    }

    /// spec-saas §2.3: what publisher code checks on the webhook's bearer token.
    func webhookClaims(_ d: WebhookDelivery) -> AccessTokenClaims {
        let now = Int(tokenClock.now().timeIntervalSince1970)
        let tid = d.tenantId.lowercased()
        let marketplace = EntraConventions.marketplaceResourceId
        return AccessTokenClaims(aud: d.audience, iss: EntraConventions.v2Issuer(tenantId: tid), iat: now, nbf: now, exp: now + 3600,
                                 appid: marketplace, appidacr: "2", azp: marketplace, azpacr: "2", oid: marketplace, sub: marketplace,
                                 tid: tid, uti: subscriptions.ids.urlSafeToken(byteCount: 16), ver: "2.0")
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await runOnce()
            } catch {
                logger.error("webhook dispatcher failed", metadata: ["error": .string("\(error)")])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
