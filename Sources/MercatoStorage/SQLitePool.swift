@preconcurrency import AsyncKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit

/// Opens SQLite connections with the pragmas Mercato relies on (`pragmas`): WAL, synchronous=NORMAL, foreign keys,
/// and a busy timeout so a reader never fails while a writer checkpoints.
struct MercatoSQLiteSource: ConnectionPoolSource {
    let path: String

    /// WAL with synchronous=NORMAL: a commit is durable once in the WAL (a killed process loses nothing acknowledged);
    /// an 8 MiB page cache (a commit walks the whole cache, so more is slower); checkpoints every ~64 MiB of WAL instead of 4 MiB.
    static let pragmas = [
        "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000",
        "PRAGMA cache_size = -8192", "PRAGMA wal_autocheckpoint = 16384",
    ]

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton, logger: logger, on: eventLoop)
            .flatMap { conn in
                Self.pragmas.reduce(eventLoop.makeSucceededVoidFuture()) { chain, pragma in chain.flatMap { conn.query(pragma).map { _ in } } }
                    .map { conn }
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
