import Foundation
import Testing
import X509
@testable import MercatoAuth

@Suite("mercato tls init")
struct LocalCertificateAuthorityTests {
    @Test("writes a CA and a server certificate it signed, with the requested names, keys private")
    func generate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try LocalCertificateAuthority.generate(into: dir, hostnames: ["localhost", "127.0.0.1", "::1", "mercato.test"])
        let ca = try Certificate(pemEncoded: try String(contentsOfFile: files.caCertificate, encoding: .utf8))
        let chain = try String(contentsOfFile: files.serverCertificate, encoding: .utf8)
        let server = try Certificate(pemEncoded: String(chain[..<chain.range(of: "-----END CERTIFICATE-----")!.upperBound]))
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try server.extensions.basicConstraints == .notCertificateAuthority)
        #expect(server.issuer == ca.subject)
        #expect(ca.publicKey.isValidSignature(server.signature, for: server))
        let names = try #require(try server.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("localhost")) && names.contains(.dnsName("mercato.test")))
        #expect(names.contains(.ipAddress(.init(contentBytes: [127, 0, 0, 1]))))
        #expect(names.contains(.ipAddress(.init(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1])))))
        for key in [files.caKey, files.serverKey] {
            let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }
}
