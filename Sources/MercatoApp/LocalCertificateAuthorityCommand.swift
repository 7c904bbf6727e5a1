import Foundation
import MercatoAuth

/// `mercato tls init` behind the CLI.
public enum LocalCertificateAuthorityCommand {
    public static func generate(dir: String, names: [String]) throws -> LocalCertificateAuthority.Files {
        try LocalCertificateAuthority.generate(into: URL(fileURLWithPath: dir), hostnames: names)
    }
}
