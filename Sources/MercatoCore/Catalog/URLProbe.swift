/// Checks that a URL answers (certification's reachability check of the landing page and webhook, spec-portal
/// §4.3 "Offer purchase flow setup"). Implemented over HTTP in MercatoJobs; tests inject fakes.
public protocol URLProbe: Sendable {
    /// nil when reachable; otherwise what went wrong ("connection refused", "HTTP 500").
    func problem(reaching url: String, method: String) async -> String?
}
