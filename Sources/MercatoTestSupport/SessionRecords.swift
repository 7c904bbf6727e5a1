import Foundation

/// The live wire recordings in ../shared/reference/session-records (Azure.Core.TestFramework format), used as
/// test oracles: status codes, headers of note, JSON shapes.
public struct RecordedCall: @unchecked Sendable {
    public var method: String
    public var uri: URLComponents
    public var requestHeaders: [String: Any]
    public var requestBody: Any?
    public var status: Int
    public var responseHeaders: [String: Any]
    public var responseBody: Any?

    public var path: String { uri.path }
    public func query(_ name: String) -> String? { uri.queryItems?.first { $0.name == name }?.value }
}

public enum SessionRecords {
    /// Repo root is three levels above this file's directory (Sources/MercatoTestSupport/x.swift); shared/ sits beside it.
    public static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/reference/session-records/commercial-marketplace-client-dotnet")
    }

    public static func load(_ name: String) throws -> [RecordedCall] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any], let entries = root["Entries"] as? [[String: Any]] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return entries.map { e in
            RecordedCall(method: e["RequestMethod"] as? String ?? "", uri: URLComponents(string: e["RequestUri"] as? String ?? "") ?? URLComponents(),
                         requestHeaders: e["RequestHeaders"] as? [String: Any] ?? [:], requestBody: e["RequestBody"],
                         status: e["StatusCode"] as? Int ?? 0, responseHeaders: e["ResponseHeaders"] as? [String: Any] ?? [:],
                         responseBody: e["ResponseBody"])
        }
    }

    /// JSON "shape": every key path with its JSON type; arrays contribute their first element's shape as `[]`.
    public static func shape(_ value: Any?, _ path: String = "$") -> [String: String] {
        var out: [String: String] = [:]
        switch value {
        case let dict as [String: Any]:
            out[path] = "object"
            for (k, v) in dict { out.merge(shape(v, "\(path).\(k)")) { a, _ in a } }
        case let array as [Any]:
            out[path] = "array"
            if let first = array.first { out.merge(shape(first, "\(path)[]")) { a, _ in a } }
        case is NSNull, nil:
            out[path] = "null"
        case let n as NSNumber:
            out[path] = String(describing: type(of: n)).contains("Boolean") ? "boolean" : "number"
        case is String:
            out[path] = "string"
        default:
            out[path] = "unknown"
        }
        return out
    }
}
