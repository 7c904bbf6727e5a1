import Foundation

/// Audience CSV as Partner Center exports and imports it: columns `ID`, `Description`, `Type` (spec-portal §2.8, §3.7).
public enum AudienceCSV {
    public static func parse(_ csv: String, expectedType: AudienceKind) throws -> [AudienceMember] {
        var lines = csv.split(whereSeparator: \.isNewline).map { String($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard let header = lines.first else { throw DomainError.invalid(field: "csv", reason: "is empty") }
        let columns = fields(header).map { $0.lowercased() }
        guard let idIndex = columns.firstIndex(of: "id") else {
            throw DomainError.invalid(field: "csv", reason: "the header must name the columns ID, Description, Type")
        }
        let descIndex = columns.firstIndex(of: "description")
        let typeIndex = columns.firstIndex(of: "type")
        lines.removeFirst()
        guard lines.count <= OfferValidator.maxPrivateAudience else {
            throw DomainError.invalid(field: "csv", reason: "at most \(OfferValidator.maxPrivateAudience) rows (got \(lines.count))")
        }
        var seen = Set<String>()
        var members: [AudienceMember] = []
        for (n, line) in lines.enumerated() {
            let row = fields(line)
            let lineNumber = n + 2
            guard idIndex < row.count else { throw DomainError.invalid(field: "csv line \(lineNumber)", reason: "has no ID") }
            let id = row[idIndex].trimmingCharacters(in: .whitespaces).lowercased()
            guard GUIDText.isWellFormed(id) else { throw DomainError.invalid(field: "csv line \(lineNumber)", reason: "'\(id)' is not a GUID") }
            if let typeIndex, typeIndex < row.count {
                let type = row[typeIndex].trimmingCharacters(in: .whitespaces)
                let allowed: Set<String> = switch expectedType {
                case .tenant: ["TenantID"]
                case .subscription: ["SubscriptionId"]
                case .tenantOrSubscription: ["TenantID", "SubscriptionId"]
                }
                guard allowed.contains(type) else {
                    throw DomainError.invalid(field: "csv line \(lineNumber)", reason: "Type '\(type)' must be \(allowed.sorted().joined(separator: " or "))")
                }
            }
            guard seen.insert(id).inserted else { continue }
            let description = descIndex.flatMap { $0 < row.count ? row[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 }
            members.append(AudienceMember(id: id, description: description))
        }
        return members
    }

    /// Splits one CSV line (RFC 4180 quotes).
    static func fields(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { current.append("\""); i += 1 } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                out.append(current); current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        out.append(current)
        chars.removeAll()
        return out
    }

    public static func export(_ members: [AudienceMember], type: AudienceKind) -> String {
        let typeName = type == .subscription ? "SubscriptionId" : "TenantID"
        func quote(_ s: String) -> String { s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        return (["ID,Description,Type"] + members.map { "\($0.id),\(quote($0.description ?? "")),\(typeName)" }).joined(separator: "\n") + "\n"
    }
}

/// A difference between two offer documents, by JSON field path.
public struct FieldDifference: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case added = "Added", removed = "Removed", edited = "Edited" }
    public var field: String
    public var kind: Kind
    public var before: String?
    public var after: String?
}

public enum OfferDiff {
    public static func differences(from a: Offer, to b: Offer) throws -> [FieldDifference] {
        let left = try flatten(a), right = try flatten(b)
        var out: [FieldDifference] = []
        for key in Set(left.keys).union(right.keys).sorted() {
            switch (left[key], right[key]) {
            case let (x?, y?) where x != y: out.append(FieldDifference(field: key, kind: .edited, before: x, after: y))
            case let (x?, nil): out.append(FieldDifference(field: key, kind: .removed, before: x, after: nil))
            case let (nil, y?): out.append(FieldDifference(field: key, kind: .added, before: nil, after: y))
            default: break
            }
        }
        return out
    }

    static func flatten(_ offer: Offer) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let object = try JSONSerialization.jsonObject(with: try encoder.encode(offer))
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            switch value {
            case let dict as [String: Any]:
                for (k, v) in dict { walk(v, path.isEmpty ? k : "\(path).\(k)") }
            case let array as [Any]:
                for (i, v) in array.enumerated() { walk(v, "\(path)[\(i)]") }
            case is NSNull:
                break
            default:
                out[path] = "\(value)"
            }
        }
        walk(object, "")
        return out
    }
}
