/// Category and industry keys (spec-portal Appendix A) — the SaaS columns, which SaaS offers are validated
/// against. Other offer types are checked for count and key format only (their key columns differ per type).
public enum Taxonomy {
    /// Azure Marketplace (A.1, SaaS key column): category → subcategories.
    public static let azureMarketplaceSaaS: [String: Set<String>] = [
        "analytics": ["data-insights", "data-analytics", "big-data", "predictive-analytics", "real-time-streaming-analytics", "other"],
        "ArtificialIntelligence": ["bot-services", "cognitive-services", "ml-service", "automated-ml", "business-robotic-process-automation",
                                   "data-labelling", "data-preparation", "knowledge-mining", "ml-operations", "other-AI-plus-machine-learning"],
        "blockchain": ["app-accelerators", "single-node-ledger", "multi-node-ledger", "tools", "other"],
        "compute-saas": ["applnfra", "clientOS", "cache", "other-compute"],
        "containers": ["container-apps", "container-images", "get-started-with-containers", "other"],
        "databases-saas": ["nosql-databases", "relational-databases", "ledger-blockchain-databases", "data-lakes", "data-warehouse", "other-databases"],
        "developer-tools-saas": ["tools-developer-tools", "scripts", "devService", "other-developer-tools"],
        "devops": ["other"],
        "identity": ["access-management", "other"],
        "integration": ["messaging", "other"],
        "IoT": ["iot-solutions", "data-analytics-and-visualization", "iot-connectivity", "other-internet-of-things"],
        "ITandAdministration": ["management-solutions", "businessApplication", "other-it-management-tools"],
        "monitoring-and-diagnostics": ["other"],
        "media": ["media-services", "content-protection", "live-and-on-demand-streaming", "other"],
        "migration": ["data-migration", "other"],
        "mixed-reality": ["other"],
        "networking": ["appliance-managers", "connectivity", "firewalls", "load-balancers", "other"],
        "security": ["identity-and-access-management", "threat-protection", "information-protection", "other"],
        "storage-saas": ["backup", "enterprise-hybrid-storage", "file-sharing", "data-lifecycle-management", "other-storage"],
        "web": ["blogs-and-cmss", "starter-web-apps", "ecommerce", "web-apps-frameworks", "web-apps", "other"],
    ]

    /// Microsoft AppSource (A.2, SaaS key column).
    public static let appSourceSaaS: [String: Set<String>] = [
        "analytics": ["advanced-analytics", "visualization-reporting", "other"],
        "ArtificialIntelligence": ["ai-for-business", "bot-apps", "other-ai-plus-machine-learning"],
        "Collaboration": ["contact-people", "meeting-management", "site-design-management", "task-project-management",
                          "voice-video-conferencing", "other-collaboration"],
        "compliance": ["tax-audit", "Legal", "data-governance-privacy", "health-safety", "other-compliance-legal"],
        "CustomerService": ["contact-center", "face-to-face-service", "back-office-employee-service", "knowledge-case-management",
                            "social-media-omnichannel-engagement", "other-customer-service"],
        "Finance": ["accounting", "asset-management", "analytics-consolidation-reporting", "credit-collections",
                    "compliance-risk-management", "other-finance"],
        "HumanResources": ["talent-acquisition", "talent-management", "hr-operations", "workforce-planning-analytics", "other-human-resources"],
        "IoT": ["asset-management-operations", "connected-products", "intelligent-supply-chain", "predictive-maintenance",
                "remote-monitoring", "safety-security", "smart-infrastructure-resources", "vehicles-mobility", "other-internet-of-things"],
        "ITandAdministration": ["management-solutions", "businessApplication", "other-it-management-tools"],
        "Marketing": ["advertisement", "analytics-marketing", "campaign-management-automation", "email-marketing",
                      "events-resource-management", "research-analytics", "social-media", "other-marketing"],
        "OperationsSupplyChain": ["asset-production-management", "demand-forecasting", "information-management-connectivity",
                                  "planning-purchasing-reporting", "quality-service-management", "sales-order-management",
                                  "transportation-warehouse-management", "other-operations-supply-chain"],
        "Productivity": ["content-creation-management", "language-translation", "document-management", "email-management",
                         "search-reference", "Gamification", "other-productivity"],
        "Sales": ["telesales", "configure-price-quote", "contract-management", "crm", "e-commerce", "business-data-enrichment",
                  "sales-enablement", "other-sales"],
        "geolocation": ["maps", "news-and-weather", "other-geolocation"],
    ]

    /// AppSource industries (A.3, SaaS/D365 keys): industry → verticals.
    public static let industries: [String: Set<String>] = [
        "Automotive": ["AutomotiveL2"],
        "Agriculture": ["Agriculture_OtherUnsegmented"],
        "Distribution": ["Wholesale", "ParcelAndPackageShipping"],
        "Education": ["HigherEducation", "PrimaryAndSecondaryEducationK12", "LibrariesAndMuseums"],
        "FinancialServices": ["BankingAndCapitalMarkets", "Insurance"],
        "Government": ["DefenseAndIntelligence", "PublicSafetyAndJustice", "CivilianGovernment"],
        "HealthCareandLifeSciences": ["HealthPayor", "HealthProvider", "Pharmaceuticals"],
        "Manufacturing": ["ChemicalAndAgrochemical", "DiscreteManufacturing", "Energy"],
        "RetailandConsumerGoods": ["ConsumerGoods", "Retailers"],
        "MediaAndCommunications": ["MediaandEntertainment", "Telecommunications"],
        "ProfessionalServices": ["Legal", "PartnerProfessionalServices"],
        "ArchitectureAndConstruction": ["ArchitectureAndConstruction_OtherUnsegmented"],
        "HospitalityandTravel": ["HotelsAndLeisure", "TravelAndTransportation", "RestaurantsAndFoodServices"],
        "OtherPublicSectorIndustries": ["ForestryAndFishing", "Nonprofits"],
        "RealEstate": ["RealEstate_OtherUnsegmented"],
    ]

    /// Subcategories valid for `category` in `store` for SaaS offers; nil when the category is unknown there.
    public static func saasSubcategories(_ category: String, store: Store) -> Set<String>? {
        switch store {
        case .azureMarketplace: azureMarketplaceSaaS[category]
        case .appSource: appSourceSaaS[category]
        }
    }
}
