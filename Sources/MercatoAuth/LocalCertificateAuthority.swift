import Crypto
import Foundation
import SwiftASN1
import X509

/// `mercato tls init`: a local certificate authority and a server certificate it signs, so clients that insist on
/// HTTPS (azure-identity refuses http:// authorities) can talk to a local Mercato by trusting one CA file.
public enum LocalCertificateAuthority {
    public struct Files: Sendable, Equatable {
        public var caCertificate: String
        public var caKey: String
        public var serverCertificate: String
        public var serverKey: String
    }

    /// Writes `ca.pem`, `ca-key.pem`, `server.pem` and `server-key.pem` into `directory`. Keys are P-256 and written
    /// with mode 0600. `hostnames` become the server certificate's DNS or IP subject alternative names.
    public static func generate(into directory: URL, hostnames: [String], now: Date = Date()) throws -> Files {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("Mercato")
            CommonName("Mercato local CA")
        }
        let caSKI = SubjectKeyIdentifier(hash: Certificate.PublicKey(caKey.publicKey))
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                caSKI
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))

        let serverKey = P256.Signing.PrivateKey()
        let names: [GeneralName] = hostnames.map { name in
            if let bytes = ipv4Bytes(name) ?? ipv6Bytes(name) {
                return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
            }
            return .dnsName(name)
        }
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(825 * 86_400),
            issuer: caName,
            subject: try DistinguishedName {
                OrganizationName("Mercato")
                CommonName(hostnames.first ?? "localhost")
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: caSKI.keyIdentifier)
                SubjectKeyIdentifier(hash: Certificate.PublicKey(serverKey.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))

        let files = Files(
            caCertificate: directory.appendingPathComponent("ca.pem").path,
            caKey: directory.appendingPathComponent("ca-key.pem").path,
            serverCertificate: directory.appendingPathComponent("server.pem").path,
            serverKey: directory.appendingPathComponent("server-key.pem").path)
        try write(try ca.serializeAsPEM().pemString, to: files.caCertificate, private: false)
        try write(caKey.pemRepresentation, to: files.caKey, private: true)
        // The chain the server presents: its certificate, then the CA's.
        try write(try server.serializeAsPEM().pemString + "\n" + ca.serializeAsPEM().pemString, to: files.serverCertificate, private: false)
        try write(serverKey.pemRepresentation, to: files.serverKey, private: true)
        return files
    }

    static func write(_ text: String, to path: String, private isPrivate: Bool) throws {
        let url = URL(fileURLWithPath: path)
        try (text.hasSuffix("\n") ? text : text + "\n").write(to: url, atomically: true, encoding: .utf8)
        if isPrivate {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
    }

    static func ipv4Bytes(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }

    static func ipv6Bytes(_ s: String) -> [UInt8]? {
        guard s.contains(":") else { return nil }
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        return withUnsafeBytes(of: &addr) { Array($0) }
    }
}
