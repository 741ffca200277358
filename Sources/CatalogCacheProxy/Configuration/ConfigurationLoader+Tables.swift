import CatalogCacheCore
import Yams

/// `invalidation.tables`: each table's coarse tags and keys, id column, id query and precise rules.
extension NodeReader {
    func tables(_ node: Node, _ field: String) throws(ConfigurationError) -> [InvalidatedTable] {
        guard let map = node.mapping else { throw fail(node, field, "must be a mapping") }
        var tables: [InvalidatedTable] = []
        for (nameNode, spec) in map {
            guard let table = nameNode.string else { throw fail(nameNode, field, "keys must be strings") }
            let tfield = "\(field).\(table)"
            guard ConfigurationValidation.isIdentifier(table) else { throw fail(spec, tfield, "table names must be SQL identifiers") }
            var tags: [String] = []
            var keys: [String] = []
            var idColumn = "id"
            var changes: [ChangeRule] = []
            var idQuery: String?
            for (k, v) in try mapping(spec, tfield, section: "invalidation.tables.*") {
                switch k {
                case "tags": tags = try strings(v, "\(tfield).tags")
                case "keys": keys = try strings(v, "\(tfield).keys")
                case "changes": changes = try changeRules(v, "\(tfield).changes")
                case "id_query":
                    let query = try string(v, "\(tfield).id_query")
                    guard query.contains("$1") else { throw fail(v, "\(tfield).id_query", "must use $1, the changed rows' id_column values (text[])") }
                    idQuery = query
                default:
                    idColumn = try string(v, "\(tfield).id_column")
                    guard ConfigurationValidation.isIdentifier(idColumn) else { throw fail(v, "\(tfield).id_column", "must be an SQL identifier") }
                }
            }
            if tags.isEmpty && keys.isEmpty { throw fail(spec, tfield, "needs at least one tag or key") }
            tables.append(InvalidatedTable(name: table, idColumn: idColumn, mapping: TableMapping(tags: tags, keys: keys, changes: changes), idQuery: idQuery))
        }
        return tables
    }
}
