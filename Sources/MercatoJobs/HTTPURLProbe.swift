import AsyncHTTPClient
import Foundation
import MercatoCore
import NIOCore

/// `URLProbe` over HTTP: a GET (landing page) must answer below 400, a POST (webhook) below 500, within 5 seconds.
/// Redirects are not followed: a redirect answers the check, and following it blindly could lead anywhere.
public struct HTTPURLProbe: URLProbe {
    let client: HTTPClient
    let timeout: TimeAmount

    public init(client: HTTPClient = .shared, timeout: TimeAmount = .seconds(5)) {
        self.client = client
        self.timeout = timeout
    }

    public func problem(reaching url: String, method: String) async -> String? {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = method == "POST" ? .POST : .GET
            request.headers.add(name: "User-Agent", value: "Mercato-Certification/1.0")
            if method == "POST" {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: "{}"))
            }
            let response = try await client.execute(request, timeout: timeout)
            let limit = method == "POST" ? 500 : 400
            return Int(response.status.code) < limit ? nil : "HTTP \(response.status.code)"
        } catch {
            return "\(error)"
        }
    }
}
