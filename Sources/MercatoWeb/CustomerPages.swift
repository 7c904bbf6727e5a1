import Foundation
import MercatoCore

/// The signed-in customer, as the header shows them (with the CSRF token of the sign-out form).
public struct Viewer: Sendable, Equatable {
    public var email: String
    public var name: String
    public var csrf: String
}

/// One labelled input with its field-level error (rendered by field.mustache).
public struct FormField: Sendable, Equatable {
    public var id: String
    public var name: String
    public var label: String
    public var type = "text"
    public var value = ""
    public var error: String?
    public var required = true
    public var autocomplete = "off"
    public var hint: String?
    public var min: String?
}

public enum ContactForm {
    static let spec: [(name: String, label: String, type: String, autocomplete: String, required: Bool)] = [
        ("firstName", "First name", "text", "given-name", true), ("lastName", "Last name", "text", "family-name", true),
        ("email", "Work e-mail", "email", "email", true), ("company", "Company", "text", "organization", true),
        ("country", "Country (two letters, e.g. US)", "text", "country", true), ("phone", "Phone (optional)", "tel", "tel", false),
        ("title", "Job title (optional)", "text", "organization-title", false),
    ]

    public static func fields(values: [String: String], errors: [String: String]) -> [FormField] {
        spec.map { f in
            FormField(id: "contact-\(f.name)", name: f.name, label: f.label, type: f.type, value: values[f.name] ?? "", error: errors[f.name],
                      required: f.required, autocomplete: f.autocomplete)
        }
    }

    public static func request(_ form: [String: String]) -> ContactRequest {
        ContactRequest(firstName: form["firstName"] ?? "", lastName: form["lastName"] ?? "", email: form["email"] ?? "", company: form["company"] ?? "",
                       country: form["country"] ?? "", phone: form["phone"] ?? "", title: form["title"] ?? "", consent: form["consent"] == "yes")
    }
}

public struct SignInPage: Sendable, Equatable {
    public var viewer: Viewer?
    public var title = "Sign in"
    public var query = ""
    public var csrf: String
    public var next: String
    public var failure: String?
    public var email: FormField
    public var password: FormField
}

public struct BuyPage: Sendable, Equatable {
    public struct PlanChoice: Sendable, Equatable {
        public var id, name, price: String
        public var checked, perUser, freeTrial: Bool
    }
    public var viewer: Viewer?
    public var title: String
    public var query = ""
    public var csrf: String
    public var offerName: String
    public var offerURL: String
    public var action: String
    public var formError: String?
    public var plans: [PlanChoice]
    public var planError: String?
    public var seats: FormField?
    public var terms: [SelectOption]
    public var termError: String?
    public var name: FormField
    public var accepted: Bool
    public var acceptError: String?
}

public struct SubscriptionsPage: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var id, name, offer, plan, seats, status, statusClass, url, csrf: String
        public var pending: Bool
    }
    public var viewer: Viewer?
    public var title = "My subscriptions"
    public var query = ""
    public var notice: String?
    public var rows: [Row]
    /// Stored, not computed: templates see stored properties only (swift-mustache reflects with Mirror).
    public var hasRows: Bool
}

public struct SubscriptionPage: Sendable, Equatable {
    public struct InvoiceRow: Sendable, Equatable { public var id, url, period, total, status: String }
    public var viewer: Viewer?
    public var title: String
    public var query = ""
    public var csrf: String
    public var url: String
    public var name: String
    public var offer: String
    public var offerURL: String
    public var plan: String
    public var seatsText: String?
    public var status: String
    public var statusClass: String
    public var term: String
    public var autoRenew: String
    public var pendingOperation: String?
    public var notice: String?
    public var failure: String?
    public var pending: Bool
    public var canChange: Bool
    public var plans: [SelectOption]
    public var planError: String?
    public var hasSeats: Bool
    public var seats: FormField?
    public var suspended: Bool
    public var canCancel: Bool
    public var cancelError: String?
    public var invoices: [InvoiceRow]
    public var hasInvoices: Bool
}

public struct MessagePage: Sendable, Equatable {
    public var viewer: Viewer?
    public var title: String
    public var query = ""
    public var heading: String
    public var message: String
    public var linkURL: String?
    public var linkText: String?
}

enum CustomerLabels {
    /// How the storefront names a SaaS status (spec-saas §2.1 states, in words).
    static func status(_ s: SubscriptionStatus) -> (String, String) {
        switch s {
        case .pendingFulfillmentStart: ("Pending fulfillment", "warn")
        case .subscribed: ("Subscribed", "ok")
        case .suspended: ("Suspended", "warn")
        case .unsubscribed: ("Canceled", "off")
        default: (s.rawValue, "off")
        }
    }
}
