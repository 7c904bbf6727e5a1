import AsyncHTTPClient
import Foundation
import MercatoCore
import NIOCore
import NIOHTTP1

/// Sends one webhook POST. Injected so tests can point at real local receivers.
public protocol WebhookTransport: Sendable {
    func post(url: String, headers: [(String, String)], body: String, timeout: TimeInterval, sandbox: Bool) async -> (status: Int?, error: String?)
}

/// Webhook POSTs over async-http-client: redirects are never followed (a redirect is an answer, not a new target)
/// and the host's resolved addresses are checked against the outbound policy before connecting (SSRF, GOV-WH-02).
public struct HTTPWebhookTransport: WebhookTransport {
    public let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func post(url: String, headers: [(String, String)], body: String, timeout: TimeInterval, sandbox: Bool) async -> (status: Int?, error: String?) {
        if let problem = OutboundURLPolicy.check(url, sandbox: sandbox) { return (nil, "refused: \(problem)") }
        if let host = URL(string: url)?.host, !(sandbox && OutboundURLPolicy.isLoopback(host: host)),
           let resolved = Self.resolve(host), let bad = resolved.first(where: OutboundURLPolicy.isPrivateOrReserved(host:)) {
            return (nil, "refused: \(host) resolves to \(bad), a private or reserved address")
        }
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (Int(response.status.code), nil)
        } catch {
            return (nil, "\(error)")
        }
    }

    /// The host's addresses as text (nil when it doesn't resolve; the POST then fails on its own).
    static func resolve(_ host: String) -> [String]? {
        if OutboundURLPolicy.isPrivateOrReserved(host: host) || host.allSatisfy({ $0.isNumber || $0 == "." }) { return [host] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                out.append(String(cString: buffer))
            }
            cursor = info.pointee.ai_next
        }
        return out
    }
}
