import Foundation
import Hummingbird
import MercatoCore

/// multipart/form-data (RFC 7578) for the portal's uploads: the private-audience CSV and listing media. Small and
/// strict: parts need a `name`; files keep their file name and bytes; the whole body is capped by the caller.
public struct MultipartForm: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var fileName: String
        public var contentType: String
        public var bytes: [UInt8]
    }

    public var fields: [String: String] = [:]
    public var files: [String: File] = [:]

    /// Reads a form body of either encoding (at most `limit` bytes); nil when the body is too large or malformed.
    public static func read(_ r: Request, limit: Int = 4 * 1024 * 1024) async throws -> MultipartForm? {
        let contentType = r.headers[.contentType] ?? ""
        guard let buffer = try? await r.body.collect(upTo: limit) else { return nil }
        let bytes = Array(buffer.readableBytesView)
        if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            return MultipartForm(fields: FormEncoding.decode(String(decoding: bytes, as: UTF8.self)))
        }
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let boundary = boundary(contentType) else { return nil }
        return parse(bytes, boundary: boundary)
    }

    static func boundary(_ contentType: String) -> String? {
        for part in contentType.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces)
            if kv.lowercased().hasPrefix("boundary=") {
                let value = kv.dropFirst("boundary=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 70 ? nil : value
            }
        }
        return nil
    }

    public static func parse(_ body: [UInt8], boundary: String) -> MultipartForm? {
        let delimiter = Array(("--" + boundary).utf8)
        var form = MultipartForm()
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: body, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { return nil }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // The delimiter line ends with CRLF; the part ends with CRLF before the next delimiter.
            guard partStart + 2 <= end, body[partStart] == 13, body[partStart + 1] == 10 else { return nil }
            partStart += 2
            let partEnd = end - 2
            guard partEnd >= partStart, let headerEnd = find([13, 10, 13, 10], in: body, from: partStart), headerEnd <= partEnd else { return nil }
            let headers = String(decoding: body[partStart..<headerEnd], as: UTF8.self)
            let content = Array(body[(headerEnd + 4)..<partEnd])
            var name: String?
            var fileName: String?
            var type = "application/octet-stream"
            for line in headers.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    name = parameter("name", in: line)
                    fileName = parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    type = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            guard let name else { return nil }
            if let fileName {
                if !fileName.isEmpty || !content.isEmpty { form.files[name] = File(fileName: fileName, contentType: type, bytes: content) }
            } else {
                form.fields[name] = String(decoding: content, as: UTF8.self)
            }
        }
        return form
    }

    static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = kv[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            // Browsers send only the base name; never trust a path.
            return value.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? value
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// Width and height from a PNG's IHDR chunk (listing images are validated by their real size, not a claimed one).
public enum PNGInfo {
    public static func size(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count >= 24, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}
