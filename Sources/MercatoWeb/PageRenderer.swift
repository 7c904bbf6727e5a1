import Foundation
import Mustache

/// Renders pages from the templates embedded in the binary (ARCHITECTURE: swift-mustache, escaping on).
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    public init() throws {
        let sources: [String: [UInt8]] = [
            "invoice": PackageResources.invoice_mustache, "header": PackageResources.header_mustache, "footer": PackageResources.footer_mustache,
            "card": PackageResources.card_mustache, "home": PackageResources.home_mustache, "search": PackageResources.search_mustache,
            "offer": PackageResources.offer_mustache, "error": PackageResources.error_mustache, "field": PackageResources.field_mustache,
            "signin": PackageResources.signin_mustache, "buy": PackageResources.buy_mustache, "subscriptions": PackageResources.subscriptions_mustache,
            "subscription": PackageResources.subscription_mustache, "message": PackageResources.message_mustache,
            "portal": PackageResources.portal_mustache,
        ]
        var templates: [String: MustacheTemplate] = [:]
        for (name, bytes) in sources { templates[name] = try MustacheTemplate(string: String(decoding: bytes, as: UTF8.self)) }
        library = MustacheLibrary(templates: templates)
    }

    public func invoice(_ page: InvoicePage) -> String { library.render(page, withTemplate: "invoice") ?? "" }
    public func home(_ page: HomePage) -> String { library.render(page, withTemplate: "home") ?? "" }
    public func search(_ page: SearchPage) -> String { library.render(page, withTemplate: "search") ?? "" }
    public func offer(_ page: OfferPageModel) -> String { library.render(page, withTemplate: "offer") ?? "" }
    public func error(_ page: ErrorPage) -> String { library.render(page, withTemplate: "error") ?? "" }
    public func signIn(_ page: SignInPage) -> String { library.render(page, withTemplate: "signin") ?? "" }
    public func buy(_ page: BuyPage) -> String { library.render(page, withTemplate: "buy") ?? "" }
    public func subscriptions(_ page: SubscriptionsPage) -> String { library.render(page, withTemplate: "subscriptions") ?? "" }
    public func subscription(_ page: SubscriptionPage) -> String { library.render(page, withTemplate: "subscription") ?? "" }
    public func message(_ page: MessagePage) -> String { library.render(page, withTemplate: "message") ?? "" }
    public func portal(_ page: PortalPage) -> String { library.render(page, withTemplate: "portal") ?? "" }

    /// The site's stylesheet (served at /static/site.css).
    public static let stylesheet = String(decoding: PackageResources.site_css, as: UTF8.self)
}
