import Foundation

/// The publisher portal's page model (issue 10). Portal pages are made of a few kinds of blocks — headings, facts,
/// tables with row actions, forms with field-level errors, server-rendered SVG charts — so one typed model and one
/// template (portal.mustache) render them all; each page is a function that builds its blocks. Every value goes
/// through Mustache's escaping except `Chart.svg`, which `SVGChart` builds with its own escaping.
public struct PortalPage: Sendable {
    public var title: String
    public var chrome: PortalChrome?
    public var notice: String?
    public var failure: String?
    public var tabs: [NavLink] = [] { didSet { hasTabs = !tabs.isEmpty } }
    public var hasTabs = false
    public var blocks: [Block] = []

    public init(title: String, chrome: PortalChrome?, notice: String? = nil, failure: String? = nil, tabs: [NavLink] = [], blocks: [Block] = []) {
        self.title = title
        self.chrome = chrome
        self.notice = notice
        self.failure = failure
        self.tabs = tabs
        self.hasTabs = !tabs.isEmpty
        self.blocks = blocks
    }
}

/// Who is signed in, to which account, and the navigation their roles open.
public struct PortalChrome: Sendable {
    public var publisherName: String
    public var publisherId: String
    public var userEmail: String
    public var roles: String
    public var csrf: String
    public var nav: [NavLink]
    public var sandbox: Bool
}

public struct NavLink: Sendable {
    public var href: String
    public var label: String
    public var current: Bool
    public var id: String

    public init(_ href: String, _ label: String, current: Bool = false, id: String = "") {
        self.href = href
        self.label = label
        self.current = current
        self.id = id
    }
}

public struct Block: Sendable {
    public var heading: String?
    public var headingId: String?
    public var text: String?
    public var facts: Items<Fact>?
    public var table: Table?
    public var form: Form?
    public var chart: Chart?
    public var issues: Items<IssueLine>?
    public var secret: Secret?
    public var links: Items<NavLink>?

    init() {}

    public static func heading(_ text: String, id: String? = nil) -> Block { var b = Block(); b.heading = text; b.headingId = id; return b }
    public static func text(_ text: String) -> Block { var b = Block(); b.text = text; return b }
    public static func facts(_ facts: [Fact]) -> Block { var b = Block(); b.facts = Items(items: facts); return b }
    public static func table(_ table: Table) -> Block { var b = Block(); b.table = table; return b }
    public static func form(_ form: Form) -> Block { var b = Block(); b.form = form; return b }
    public static func chart(_ chart: Chart) -> Block { var b = Block(); b.chart = chart; return b }
    public static func issues(_ issues: [IssueLine]) -> Block { var b = Block(); b.issues = Items(items: issues); return b }
    public static func secret(_ secret: Secret) -> Block { var b = Block(); b.secret = secret; return b }
    public static func links(_ links: [NavLink]) -> Block { var b = Block(); b.links = Items(items: links); return b }
}

/// A list inside a block (a wrapper, so the template can open the list once and then iterate).
public struct Items<T: Sendable>: Sendable {
    public var items: [T]
}

public struct Fact: Sendable {
    public var term: String
    public var value: String
    public var id: String
    public var factLink: String?

    public init(_ term: String, _ value: String, id: String = "", href: String? = nil) {
        self.term = term
        self.value = value
        self.id = id
        self.factLink = href
    }
}

public struct Table: Sendable {
    public var id: String
    public var columns: [String]
    public var rows: [Row]
    public var hasRows: Bool
    public var empty: String

    public init(id: String, columns: [String], rows: [Row], empty: String) {
        self.id = id
        self.columns = columns
        self.rows = rows
        self.hasRows = !rows.isEmpty
        self.empty = empty
    }
}

public struct Row: Sendable {
    public var cells: [Cell]
    public var id: String

    public init(_ cells: [Cell], id: String = "") {
        self.cells = cells
        self.id = id
    }
}

public struct Cell: Sendable {
    public var text: String
    public var link: String?
    /// "ok", "warn" or "off": shown as a status pill.
    public var pill: String?
    public var actions: [ButtonForm]

    public init(_ text: String, href: String? = nil, status: String? = nil, actions: [ButtonForm] = []) {
        self.text = text
        self.link = href
        self.pill = status
        self.actions = actions
    }
}

/// A one-button POST form (replay, remove, mark, …).
public struct ButtonForm: Sendable {
    public var action: String
    public var label: String
    public var csrf: String
    public var id: String
    public var danger: Bool
    public var hidden: [Hidden]

    public init(action: String, label: String, csrf: String, id: String = "", danger: Bool = false, hidden: [Hidden] = []) {
        self.action = action
        self.label = label
        self.csrf = csrf
        self.id = id
        self.danger = danger
        self.hidden = hidden
    }
}

public struct Hidden: Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public struct Form: Sendable {
    public var id: String
    public var action: String
    public var post: Bool
    public var multipart: Bool
    public var csrf: String
    public var fields: [Field]
    public var hidden: [Hidden]
    public var submit: String
    public var danger: Bool

    public init(id: String, action: String, post: Bool = true, multipart: Bool = false, csrf: String, fields: [Field], hidden: [Hidden] = [],
                submit: String, danger: Bool = false) {
        self.id = id
        self.action = action
        self.post = post
        self.multipart = multipart
        self.csrf = csrf
        self.fields = fields
        self.hidden = hidden
        self.submit = submit
        self.danger = danger
    }
}

/// One input of a portal form, with its field-level error.
public struct Field: Sendable {
    public struct Option: Sendable {
        public var value: String
        public var label: String
        public var selected: Bool
    }

    public var id: String
    public var name: String
    public var label: String
    public var value: String
    public var fieldError: String?
    public var fieldHint: String?
    public var inputType: String
    public var isInput: Bool
    public var isTextarea = false
    public var isSelect = false
    public var isCheckbox = false
    public var checked = false
    public var options: [Option] = []

    public init(_ name: String, _ label: String, value: String = "", type: String = "text", error: String? = nil, hint: String? = nil, id: String? = nil) {
        self.id = id ?? "f-" + name.map { $0.isLetter || $0.isNumber ? $0 : "-" }.map(String.init).joined()
        self.name = name
        self.label = label
        self.value = value
        self.fieldError = error
        self.fieldHint = hint
        self.inputType = type
        self.isInput = true
    }

    public static func textarea(_ name: String, _ label: String, value: String, error: String? = nil, hint: String? = nil) -> Field {
        var f = Field(name, label, value: value, error: error, hint: hint)
        f.isInput = false
        f.isTextarea = true
        return f
    }

    public static func select(_ name: String, _ label: String, options: [(value: String, label: String)], selected: String, error: String? = nil,
                              hint: String? = nil) -> Field {
        var f = Field(name, label, value: selected, error: error, hint: hint)
        f.isInput = false
        f.isSelect = true
        f.options = options.map { Option(value: $0.value, label: $0.label, selected: $0.value == selected) }
        return f
    }

    public static func checkbox(_ name: String, _ label: String, checked: Bool, error: String? = nil, hint: String? = nil) -> Field {
        var f = Field(name, label, value: "yes", error: error, hint: hint)
        f.isInput = false
        f.isCheckbox = true
        f.checked = checked
        return f
    }
}

public struct Chart: Sendable {
    public var id: String
    public var caption: String
    public var svg: String
}

public struct IssueLine: Sendable {
    public var page: String
    public var field: String
    public var message: String
    public var issueLink: String?
}

/// The one moment a secret is shown (a new client secret).
public struct Secret: Sendable {
    public var label: String
    public var value: String
    public var id: String
}
