/// The offer types of spec-portal §2.1, with what each allows. Raw values are the wire names of the partner API.
public enum OfferType: String, CaseIterable, Codable, Sendable {
    case saas = "SaaS"
    case azureManagedApplication = "AzureManagedApplication"
    case azureSolutionTemplate = "AzureSolutionTemplate"
    case azureContainer = "AzureContainer"
    case azureVirtualMachine = "AzureVirtualMachine"
    case consultingService = "ConsultingService"
    case dynamics365BusinessCentral = "Dynamics365BusinessCentral"
    case dynamics365CustomerEngagement = "Dynamics365CustomerEngagement"
    case dynamics365Operations = "Dynamics365Operations"
    case iotEdgeModule = "IoTEdgeModule"
    case managedService = "ManagedService"
    case powerBIApp = "PowerBIApp"
    case powerBIVisual = "PowerBIVisual"

    /// Listing options the type may use (spec-portal §2.1 columns FT/CM/GIN and "Transactable?").
    public var allowedListingOptions: Set<ListingOption> {
        switch self {
        case .saas: [.contactMe, .freeTrial, .getItNow, .transact]
        case .azureManagedApplication: [.transact]
        case .azureSolutionTemplate: [.getItNow]
        case .azureContainer, .iotEdgeModule: [.getItNow, .byol]
        case .azureVirtualMachine: [.freeTrial, .byol, .transact]
        case .consultingService: [.contactMe] // "Automatically listed as Contact Me"
        case .dynamics365BusinessCentral, .dynamics365CustomerEngagement, .dynamics365Operations: [.contactMe, .freeTrial, .getItNow]
        case .managedService: [.byol]
        case .powerBIApp: [.getItNow]
        case .powerBIVisual: [.contactMe, .freeTrial]
        }
    }

    /// Test drive column of spec-portal §2.1.
    public var supportsTestDrive: Bool {
        switch self {
        case .saas, .azureManagedApplication, .azureVirtualMachine, .dynamics365BusinessCentral,
             .dynamics365CustomerEngagement, .dynamics365Operations: true
        default: false
        }
    }

    /// Offer types with plans (spec-portal §3.1). No plans: consulting, the three D365 types, Power BI.
    public var hasPlans: Bool {
        switch self {
        case .saas, .azureManagedApplication, .azureSolutionTemplate, .azureContainer, .azureVirtualMachine,
             .iotEdgeModule, .managedService: true
        default: false
        }
    }

    /// Private plans exist for VM, Azure Application (both kinds), Managed Service and SaaS [003:2264–2269].
    public var supportsPrivatePlans: Bool {
        switch self {
        case .saas, .azureVirtualMachine, .azureManagedApplication, .azureSolutionTemplate, .managedService: true
        default: false
        }
    }

    /// Which identifiers a private audience lists (spec-portal §3.7).
    public var privateAudienceKind: AudienceKind {
        switch self {
        case .saas: .tenant
        case .azureManagedApplication, .azureSolutionTemplate, .managedService: .subscription
        default: .tenantOrSubscription
        }
    }

    /// Pricing models the type's plans may use (spec-portal §3.3).
    public var allowedPricingModels: Set<PricingModel.Kind> {
        switch self {
        case .saas: [.flatRate, .perUser]
        case .azureManagedApplication: [.flatRate]
        case .azureVirtualMachine: [.free, .flatRate, .byol]
        case .azureSolutionTemplate, .iotEdgeModule: [.free, .byol]
        case .azureContainer, .managedService: [.byol, .free]
        default: []
        }
    }

    /// Only SaaS is fully transactable in Mercato; the others are listed, searchable and generate leads.
    public var isTransactableInMercato: Bool { self == .saas }

    /// Description limit: 3,000 including markup; Consulting and Managed Service 2,000 (spec-portal §2.7).
    public var descriptionLimit: Int {
        self == .consultingService || self == .managedService ? 2000 : 3000
    }

    /// Search results summary: ≤ 100 (planning page; see note in `ListingRules`), Consulting ≤ 200.
    public var summaryLimit: Int { self == .consultingService ? 200 : 100 }

    /// Plan description: SaaS and D365 ≤ 500; VM, Azure app, Container, IoT ≤ 2,000 (spec-portal §3.1).
    public var planDescriptionLimit: Int { self == .saas ? 500 : 2000 }

    /// Plan name: ≤ 50; VM and solution-template plan listing pages say ≤ 100 (spec-portal §3.1, §11).
    public var planNameLimit: Int { self == .azureVirtualMachine || self == .azureSolutionTemplate ? 100 : 50 }

    /// Which store(s) list this type (spec-portal §2.1 "Store(s)").
    public var stores: Set<Store> {
        switch self {
        case .saas, .consultingService: [.azureMarketplace, .appSource]
        case .dynamics365BusinessCentral, .dynamics365CustomerEngagement, .dynamics365Operations, .powerBIApp, .powerBIVisual: [.appSource]
        default: [.azureMarketplace]
        }
    }
}

public enum Store: String, Codable, Sendable, CaseIterable {
    case azureMarketplace = "AzureMarketplace"
    case appSource = "AppSource"
}

/// spec-portal §2.2.
public enum ListingOption: String, Codable, Sendable, CaseIterable {
    case contactMe = "ContactMe"
    case freeTrial = "FreeTrial"
    case getItNow = "GetItNow"
    case byol = "BYOL"
    /// "Sell through Microsoft".
    case transact = "Transact"

    /// Listing options that create a lead when a customer uses them (spec-portal §7.1).
    public var createsLead: Bool { self != .byol }
}

public enum AudienceKind: String, Codable, Sendable {
    case tenant = "TenantID"
    case subscription = "SubscriptionId"
    case tenantOrSubscription = "TenantOrSubscription"
}
