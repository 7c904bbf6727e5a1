@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit

/// Opens SQLite connections with the pragmas Mercato relies on: WAL, synchronous=NORMAL, foreign keys,
/// and a busy timeout so a reader never fails while the single writer checkpoints.
struct MercatoSQLiteSource: ConnectionPoolSource {
    let path: String

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton, logger: logger, on: eventLoop)
            .flatMap { conn in
                conn.query("PRAGMA journal_mode = WAL")
                    .flatMap { _ in conn.query("PRAGMA synchronous = NORMAL") }
                    .flatMap { _ in conn.query("PRAGMA foreign_keys = ON") }
                    .flatMap { _ in conn.query("PRAGMA busy_timeout = 5000") }
                    .map { _ in conn }
            }
    }
}

/// An `SQLiteDatabase` over a pool of connections.
struct SQLitePoolDatabase: SQLiteDatabase {
    let pool: EventLoopConnectionPool<MercatoSQLiteSource>
    let logger: Logger

    var eventLoop: any EventLoop { pool.eventLoop }

    func query(_ query: String, _ binds: [SQLiteData], logger: Logger, _ onRow: @escaping @Sendable (SQLiteRow) -> Void) -> EventLoopFuture<Void> {
        pool.withConnection(logger: logger) { $0.query(query, binds, logger: logger, onRow) }
    }

    func withConnection<T>(_ closure: @escaping @Sendable (SQLiteConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        pool.withConnection(logger: logger, closure)
    }
}
