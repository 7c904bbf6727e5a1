import Hummingbird
import Logging
import MercatoAPI
import MercatoCore

/// The one composition root (ARCHITECTURE rule 2): `mercato serve` and the tests both build the application here.
public func buildRouter(environment env: MercatoEnvironment) -> Router<MercatoRequestContext> {
    let router = Router(context: MercatoRequestContext.self)
    router.add(middleware: RequestIDMiddleware(ids: env.ids))
    router.add(middleware: MetricsMiddleware())
    HealthController(db: env.db).addRoutes(to: router)
    MetricsController(registry: env.metrics, token: env.configuration.metricsToken).addRoutes(to: router)
    return router
}

public func buildApplication(environment env: MercatoEnvironment) -> some ApplicationProtocol {
    Application(
        router: buildRouter(environment: env),
        configuration: .init(address: .hostname(env.configuration.host, port: env.configuration.port), serverName: "mercato"),
        logger: env.logger
    )
}
