/// The SQL that `catalog-cache install-triggers` runs: one trigger function and, per mapped
/// table, statement-level AFTER INSERT / UPDATE / DELETE triggers with transition tables,
/// plus AFTER TRUNCATE; a described table's UPDATE trigger runs its `CompiledUpdate`
/// function when the table's columns are known. Idempotent (`CREATE OR REPLACE`).
///
/// One statement touching many rows sends a few notifications, not one per row: the
/// changed ids are collected from the transition tables, de-duplicated, and packed into
/// payloads of at most ~6000 bytes (PostgreSQL's limit is 8000). A statement changing more
/// than `maxIdsPerStatement` rows sends one table-wide notification without ids, which the
/// proxy treats as "everything this table maps to, and every entry of the affected routes".
/// Payloads carry `ts`, the clock in microseconds since the epoch when the trigger is about
/// to notify (after resolving ids and describing the change, the nearest it gets to the
/// commit), for the commit-to-invalidated latency metric.
///
/// A link or child table may name an `id_query`: the trigger runs it on the changed rows'
/// `id_column` values to get the ids it sends (a product's, for an inventory level).
///
/// For a table with precise rules (`TableMapping.changes`) payloads also say what changed:
/// an UPDATE's `columns`, the columns whose text differs between the old and the new row of
/// any row of the statement (rows paired by primary key; without one, or when a key itself
/// changed, no `columns` are sent and the proxy uses the coarse rule), and `values`, for each
/// column the rules' templates name, its distinct non-null old and new values. A description
/// over 1500 bytes is left out (coarse rule again), so a payload stays under 8000 bytes; a
/// value column missing from the table is left out of `values` (coarse rule), never an error
/// in the writer's transaction.
///
/// The role running it needs: CREATE on the schema (for the function), and ownership of
/// (or the TRIGGER privilege on) each mapped table.
public enum TriggerSQL {
    public static let functionName = "catalog_cache_notify"
    public static let maxIdsPerStatement = 10_000

    /// The compiled UPDATE functions (`catalog_cache_update_*`, in the schema the install
    /// creates them in) that no trigger calls, as after their table lost its `changes` rules
    /// (its UPDATE trigger then calls the generic function), and that the installing role may
    /// drop (another role's are left alone). One row each, its name quoted as an identifier.
    public static let unusedCompiledFunctions = """
        SELECT quote_ident(p.proname) FROM pg_proc p
        WHERE p.proname LIKE 'catalog\\_cache\\_update\\_%' AND p.prorettype = 'trigger'::regtype
          AND p.pronargs = 0 AND p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)
          AND pg_has_role(p.proowner, 'MEMBER')
        ORDER BY 1
        """

    /// What an install does once the triggers are in place, as one statement for the printed
    /// script: drops each of `unusedCompiledFunctions`, naming it in a NOTICE.
    public static let dropUnusedCompiledFunctions = """
        DO $catalog_cache$
        DECLARE
          unused text;
        BEGIN
          FOR unused IN \(unusedCompiledFunctions.replacingOccurrences(of: "\n", with: "\n    ")) LOOP
            EXECUTE 'DROP FUNCTION ' || unused || '()';
            RAISE NOTICE 'dropped %(): no trigger calls it any more', unused;
          END LOOP;
        END
        $catalog_cache$;
        """

    /// The generic trigger function, or with `compiled` a table's own (`CompiledUpdate`): the
    /// same body, whose UPDATE path runs `compiled`'s static statements while the table still
    /// has the columns it was compiled for, and the generic one otherwise.
    public static func function(channel: String, compiled: CompiledUpdate? = nil) -> String {
        """
        CREATE OR REPLACE FUNCTION \(compiled?.functionName ?? functionName)() RETURNS trigger
        LANGUAGE plpgsql AS $catalog_cache$
        DECLARE
          id_column text := TG_ARGV[0];
          channel text := TG_ARGV[1];
          ts bigint;
          ids text[];
          batch text[] := '{}';
          batch_bytes int := 0;
          one text;
          value_columns text[] := CASE WHEN TG_NARGS > 2 AND TG_ARGV[2] <> '' THEN string_to_array(TG_ARGV[2], ',') ELSE '{}'::text[] END;
          describe boolean := TG_NARGS > 3 AND TG_ARGV[3] = 'describe';
          detail jsonb := '{}'::jsonb;
          value_map jsonb := '{}'::jsonb;
          changed text[];
          key_columns text[];
          paired bigint;
          total bigint;
          probe text;
          column_name text;
          vals text[];
          compiled boolean := false;
        BEGIN
        \(compiled.map { "  compiled := TG_OP = 'UPDATE' AND \($0.guardSQL);\n" } ?? "")\
          IF TG_OP = 'TRUNCATE' THEN
            ts := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
            PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ts', ts)::text);
            RETURN NULL;
          ELSIF TG_OP = 'INSERT' THEN
            EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM new_rows', id_column) INTO ids;
          ELSIF TG_OP = 'DELETE' THEN
            EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM old_rows', id_column) INTO ids;
        \(compiled.map { "  ELSIF compiled THEN\n    \($0.idsSQL)\n" } ?? "")\
          ELSE
            EXECUTE format('SELECT array_agg(DISTINCT v) FROM (SELECT %I::text AS v FROM old_rows UNION SELECT %I::text FROM new_rows) changed', id_column, id_column) INTO ids;
          END IF;
          IF ids IS NOT NULL AND TG_NARGS > 4 AND TG_ARGV[4] <> '' THEN
            EXECUTE TG_ARGV[4] INTO ids USING ids;
          END IF;
          IF ids IS NULL THEN
            RETURN NULL;
          END IF;
          IF array_length(ids, 1) > \(maxIdsPerStatement) THEN
            PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ts', ts)::text);
            RETURN NULL;
          END IF;
        \(compiled.map { "  IF describe AND compiled THEN\n\($0.describeSQL)\n  ELSIF describe THEN\n" } ?? "  IF describe THEN\n")\
            IF TG_OP = 'UPDATE' THEN
              SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO key_columns
                FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = TG_RELID AND i.indisprimary;
              IF key_columns IS NOT NULL THEN
                SELECT string_agg(format('CASE WHEN bool_or(o.%1$I::text IS DISTINCT FROM n.%1$I::text) THEN %1$L END', attname), ', ' ORDER BY attnum)
                  INTO probe FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped;
                EXECUTE format('SELECT array_remove(ARRAY[%s]::text[], NULL), count(*) FROM old_rows o JOIN new_rows n ON %s', probe,
                  (SELECT string_agg(format('o.%1$I = n.%1$I', k), ' AND ') FROM unnest(key_columns) k)) INTO changed, paired;
                EXECUTE 'SELECT count(*) FROM new_rows' INTO total;
                IF paired = total THEN
                  detail := jsonb_build_object('columns', to_jsonb(changed));
                END IF;
              END IF;
            END IF;
            FOREACH column_name IN ARRAY value_columns LOOP
              CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = TG_RELID AND attname = column_name AND attnum > 0 AND NOT attisdropped);
              IF TG_OP = 'INSERT' THEN
                EXECUTE format('SELECT array_agg(DISTINCT %1$I::text) FROM new_rows WHERE %1$I IS NOT NULL', column_name) INTO vals;
              ELSIF TG_OP = 'DELETE' THEN
                EXECUTE format('SELECT array_agg(DISTINCT %1$I::text) FROM old_rows WHERE %1$I IS NOT NULL', column_name) INTO vals;
              ELSE
                EXECUTE format('SELECT array_agg(DISTINCT v) FROM (SELECT %1$I::text AS v FROM old_rows UNION SELECT %1$I::text FROM new_rows) c WHERE v IS NOT NULL', column_name) INTO vals;
              END IF;
              value_map := value_map || jsonb_build_object(column_name, COALESCE(to_jsonb(vals), '[]'::jsonb));
            END LOOP;
          END IF;
          IF describe THEN
            IF value_map <> '{}'::jsonb THEN
              detail := detail || jsonb_build_object('values', value_map);
            END IF;
            IF octet_length(detail::text) > 1500 THEN
              detail := '{}'::jsonb;
            END IF;
          END IF;
          -- The commit-side time, as late as the trigger can take it: after the change is described.
          ts := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
          FOREACH one IN ARRAY ids LOOP
            CONTINUE WHEN one IS NULL;
            IF octet_length(one) > 2000 THEN
              PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ts', ts)::text);
              RETURN NULL;
            END IF;
            IF batch_bytes + octet_length(one) + 8 > 6000 THEN
              PERFORM pg_notify(channel, (jsonb_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ids', batch, 'ts', ts) || detail)::text);
              batch := '{}';
              batch_bytes := 0;
            END IF;
            batch := batch || one;
            batch_bytes := batch_bytes + octet_length(one) + 8;
          END LOOP;
          IF array_length(batch, 1) > 0 THEN
            PERFORM pg_notify(channel, (jsonb_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ids', batch, 'ts', ts) || detail)::text);
          END IF;
          RETURN NULL;
        END
        $catalog_cache$;
        """
    }

    /// The triggers of one table. `table`, `idColumn` and `valueColumns` are validated SQL
    /// identifiers. `describe`: payloads say which columns changed and carry the old and new
    /// values of `valueColumns`.
    /// `idQuery`: SQL resolving the `idColumn` values (`$1`) to the ids sent.
    /// `updateFunction`: a `CompiledUpdate`'s function for the UPDATE trigger.
    public static func triggers(table: String, idColumn: String, channel: String, valueColumns: [String] = [], describe: Bool = false, idQuery: String? = nil, updateFunction: String? = nil) -> String {
        let args: String
        if describe || idQuery != nil {
            let query = String((idQuery ?? "").flatMap { $0 == "'" ? ["'", "'"] : [$0] })
            args = "('\(idColumn)', '\(channel)', '\(valueColumns.joined(separator: ","))', '\(describe ? "describe" : "")', '\(query)')"
        } else {
            args = "('\(idColumn)', '\(channel)')"
        }
        return """
        CREATE OR REPLACE TRIGGER catalog_cache_insert AFTER INSERT ON "\(table)"
          REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        CREATE OR REPLACE TRIGGER catalog_cache_update AFTER UPDATE ON "\(table)"
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(updateFunction ?? functionName)\(args);
        CREATE OR REPLACE TRIGGER catalog_cache_delete AFTER DELETE ON "\(table)"
          REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        CREATE OR REPLACE TRIGGER catalog_cache_truncate AFTER TRUNCATE ON "\(table)"
          FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        """
    }

    /// One table's SQL: for a described table whose `shape` is known, its `CompiledUpdate`
    /// function, then its triggers (the UPDATE one on that function).
    public static func tableSQL(_ table: InvalidatedTable, channel: String, shape: CompiledUpdate.Shape?) -> String {
        let describe = !table.mapping.changes.isEmpty
        let compiled = describe ? shape.flatMap { CompiledUpdate(table: table.name, idColumn: table.idColumn, valueColumns: table.mapping.valueColumns, shape: $0) } : nil
        return (compiled.map { function(channel: channel, compiled: $0) + "\n" } ?? "")
            + triggers(table: table.name, idColumn: table.idColumn, channel: channel, valueColumns: table.mapping.valueColumns, describe: describe, idQuery: table.idQuery, updateFunction: compiled?.functionName)
    }

    /// Everything, for `--print`: what an install runs, in one transaction, ending with the
    /// drop of the compiled functions no trigger calls any more. `shapes` are the tables'
    /// columns as the database has them (without them, UPDATEs take the generic path, and the
    /// script, run, drops every compiled function).
    public static func script(tables: [InvalidatedTable], channel: String, shapes: [String: CompiledUpdate.Shape] = [:]) -> String {
        var out = "-- catalog-cache invalidation triggers (channel \(channel))\n"
        if shapes.isEmpty { out += "-- Without the database's columns, UPDATEs take the generic path; printed with a database URL it can read, each described table's UPDATE path is compiled from its columns.\n" }
        out += "BEGIN;\n" + function(channel: channel) + "\n"
        for table in tables { out += "\n-- \(table.name): id column \(table.idColumn)\n" + tableSQL(table, channel: channel, shape: shapes[table.name]) + "\n" }
        return out + "\n-- Compiled UPDATE functions no trigger calls any more (a table that lost its changes rules)\n"
            + dropUnusedCompiledFunctions + "\nCOMMIT;\n"
    }
}
