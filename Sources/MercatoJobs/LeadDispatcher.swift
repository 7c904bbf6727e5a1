import Foundation
import Logging
import MercatoCore
import ServiceLifecycle

/// Pushes leads to the offer's HTTPS endpoint (spec-portal §7.4): the §7.4 JSON body, 2xx is delivered, anything else
/// is retried with backoff for 24 hours and then marked Failed (the lead stays visible to the publisher either way).
/// Each lead is claimed with a lease before the POST, so replicas never push the same lead at once.
public struct LeadDispatcher: Service {
    let leads: any LeadRepository
    let transport: any WebhookTransport
    let sandbox: Bool
    let logger: Logger
    let interval: Duration

    public init(leads: any LeadRepository, transport: any WebhookTransport, sandbox: Bool, logger: Logger, interval: Duration = .seconds(1)) {
        self.leads = leads
        self.transport = transport
        self.sandbox = sandbox
        self.logger = logger
        self.interval = interval
    }

    /// One pass over the due leads; returns how many were attempted.
    @discardableResult
    public func runOnce(now: Date = Date()) async throws -> Int {
        let due = try await leads.claimDue(now: now, lease: 60, limit: 50)
        for var lead in due {
            guard let url = lead.endpoint else { continue }
            let (status, error) = await transport.post(url: url, headers: [("Content-Type", "application/json"), ("User-Agent", "Mercato-Leads/1.0")],
                                                       body: lead.endpointPayload, timeout: 10, sandbox: sandbox)
            lead.attempts += 1
            if let status, (200..<300).contains(status) {
                lead.status = .delivered
                lead.nextAttemptAt = nil
                lead.lastError = nil
            } else {
                lead.lastError = error ?? "HTTP \(status ?? 0)"
                let next = now.addingTimeInterval(Lead.retryDelay(afterAttempt: lead.attempts))
                if error?.hasPrefix("refused:") == true || next.timeIntervalSince(lead.createdAt) > Lead.retryWindow {
                    lead.status = .failed
                    lead.nextAttemptAt = nil
                } else {
                    lead.nextAttemptAt = next
                }
                logger.warning("lead delivery failed", metadata: ["leadId": .string(lead.id), "error": .string(lead.lastError ?? "")])
            }
            try await leads.update(lead)
        }
        return due.count
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { try await runOnce() } catch { logger.error("lead dispatcher failed", metadata: ["error": .string("\(error)")]) }
            try? await Task.sleep(for: interval)
        }
    }
}
