import MercatoApp
import MercatoCore
import MercatoStorage
import Testing

@Suite("Configuration: flag > environment > default")
struct ConfigurationTests {
    @Test("defaults with no flags and no environment")
    func defaults() throws {
        let c = try MercatoConfiguration.resolve(environment: [:])
        #expect(c.host == "127.0.0.1" && c.port == 8080)
        #expect(c.database == .sqlite(path: "./mercato.sqlite"))
        #expect(c.baseURL == "http://127.0.0.1:8080")
        #expect(c.logLevel == .info && c.metricsToken == nil && !c.rolePolicy.contributorRolesEnabled)
    }

    @Test("environment overrides defaults; flags override environment")
    func precedence() throws {
        let env = ["MERCATO_PORT": "9000", "MERCATO_DATABASE_URL": "postgres://u:p@localhost:5432/m",
                   "MERCATO_LOG_LEVEL": "DEBUG", "MERCATO_CONTRIBUTOR_ROLES": "true", "MERCATO_BASE_URL": "https://market.example/"]
        let fromEnv = try MercatoConfiguration.resolve(environment: env)
        #expect(fromEnv.port == 9000 && fromEnv.database == .postgres(url: "postgres://u:p@localhost:5432/m"))
        #expect(fromEnv.logLevel == .debug && fromEnv.rolePolicy.contributorRolesEnabled)
        #expect(fromEnv.baseURL == "https://market.example")
        let fromFlags = try MercatoConfiguration.resolve(port: 7000, database: "data/x.sqlite", environment: env)
        #expect(fromFlags.port == 7000 && fromFlags.database == .sqlite(path: "data/x.sqlite"))
    }

    @Test("bad values are refused with the setting named", arguments: [
        ["MERCATO_PORT": "eighty"], ["MERCATO_PORT": "70000"], ["MERCATO_LOG_LEVEL": "loud"],
        ["MERCATO_DATABASE_URL": "mysql://x"], ["MERCATO_CONTRIBUTOR_ROLES": "maybe"], ["MERCATO_BASE_URL": "ftp://x"],
        ["MERCATO_WORKERS": "sometimes"], ["MERCATO_SANDBOX": "2"], ["MERCATO_BENCH_ROUTES": "yes please"],
    ])
    func badValues(_ env: [String: String]) {
        #expect(throws: DomainError.self) { try MercatoConfiguration.resolve(environment: env) }
    }

    @Test("yes/no settings take 1/true/yes/on and 0/false/no/off in any case")
    func flags() throws {
        for (value, expected) in [("1", true), ("TRUE", true), ("yes", true), ("On", true),
                                  ("0", false), ("False", false), ("NO", false), ("off", false)] {
            let c = try MercatoConfiguration.resolve(environment: ["MERCATO_SANDBOX": value, "MERCATO_BENCH_ROUTES": value, "MERCATO_WORKERS": value])
            #expect(c.sandbox == expected && c.benchRoutes == expected && c.runWorkers == expected, "\(value)")
        }
    }

    @Test("database locations parse, and passwords are masked when printed")
    func locations() throws {
        #expect(try DatabaseLocation("sqlite:///tmp/a.db") == .sqlite(path: "/tmp/a.db"))
        #expect(try DatabaseLocation("sqlite:rel.db") == .sqlite(path: "rel.db"))
        #expect(try DatabaseLocation("postgresql://u:pw@h/db").description == "postgresql://u:****@h/db")
        #expect(throws: DomainError.self) { try DatabaseLocation("") }
    }
}
