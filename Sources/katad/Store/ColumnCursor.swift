import GRDB
import GRDBSQLite

/// Iterates the rows of a statement, reading each by column position with `element`, with GRDB's
/// statement stepping and errors (GRDB's `DatabaseCursor`).
///
/// For the rows every request reads (`IssueRow`, `ProjectRow`): GRDB's `Row` builds a dictionary of the
/// statement's lower-cased column names at every fetch, and looks each column up by name in it, which on
/// a point read took more time than SQLite did. A statement read this way lists its columns explicitly
/// (`IssueRow.columns`, `ProjectRow.columns`) in the order `element` reads them.
final class ColumnCursor<Element>: DatabaseCursor {
    let _statement: Statement
    var _isDone = false
    private let element: (SQLiteStatement) -> Element

    init(_ statement: Statement, arguments: StatementArguments, element: @escaping (SQLiteStatement) -> Element) throws {
        _statement = statement
        self.element = element
        try statement.setArguments(arguments)
    }

    /// Ends the statement even when not every row was read (`next()` once), as GRDB's own cursors do: a
    /// statement left running would keep its connection's read snapshot after the transaction.
    deinit {
        sqlite3_reset(_statement.sqliteStatement)
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> Element {
        element(sqliteStatement)
    }
}

extension String {
    /// A nullable text column of the statement's current row.
    static func column(_ s: SQLiteStatement, _ index: CInt) -> String? {
        sqlite3_column_type(s, index) == SQLITE_NULL ? nil : String(sqliteStatement: s, index: index)
    }
}
