import Foundation
import Mustache

/// Renders pages from the templates embedded in the binary (ARCHITECTURE: swift-mustache, escaping on).
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    public init() throws {
        let sources: [String: [UInt8]] = ["invoice": PackageResources.invoice_mustache]
        var templates: [String: MustacheTemplate] = [:]
        for (name, bytes) in sources { templates[name] = try MustacheTemplate(string: String(decoding: bytes, as: UTF8.self)) }
        library = MustacheLibrary(templates: templates)
    }

    public func invoice(_ page: InvoicePage) -> String { library.render(page, withTemplate: "invoice") ?? "" }
}
