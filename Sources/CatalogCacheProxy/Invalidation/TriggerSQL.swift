/// The SQL that `catalog-cache install-triggers` runs: one trigger function and, per mapped
/// table, statement-level AFTER INSERT / UPDATE / DELETE triggers with transition tables,
/// plus AFTER TRUNCATE. Idempotent (`CREATE OR REPLACE`).
///
/// One statement touching many rows sends a few notifications, not one per row: the
/// changed ids are collected from the transition tables, de-duplicated, and packed into
/// payloads of at most ~6000 bytes (PostgreSQL's limit is 8000). A statement changing more
/// than `maxIdsPerStatement` rows sends one table-wide notification without ids, which the
/// proxy treats as "everything this table maps to, and every entry of the affected routes".
/// Payloads carry `ts`, the statement's clock in microseconds since the epoch, for the
/// commit-to-invalidated latency metric.
///
/// The role running it needs: CREATE on the schema (for the function), and ownership of
/// (or the TRIGGER privilege on) each mapped table.
public enum TriggerSQL {
    public static let functionName = "catalog_cache_notify"
    public static let maxIdsPerStatement = 10_000

    public static func function(channel: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(functionName)() RETURNS trigger
        LANGUAGE plpgsql AS $catalog_cache$
        DECLARE
          id_column text := TG_ARGV[0];
          channel text := TG_ARGV[1];
          ts bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
          ids text[];
          batch text[] := '{}';
          batch_bytes int := 0;
          one text;
        BEGIN
          IF TG_OP = 'TRUNCATE' THEN
            PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ts', ts)::text);
            RETURN NULL;
          ELSIF TG_OP = 'INSERT' THEN
            EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM new_rows', id_column) INTO ids;
          ELSIF TG_OP = 'DELETE' THEN
            EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM old_rows', id_column) INTO ids;
          ELSE
            EXECUTE format('SELECT array_agg(DISTINCT v) FROM (SELECT %I::text AS v FROM old_rows UNION SELECT %I::text FROM new_rows) changed', id_column, id_column) INTO ids;
          END IF;
          IF ids IS NULL THEN
            RETURN NULL;
          END IF;
          IF array_length(ids, 1) > \(maxIdsPerStatement) THEN
            PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ts', ts)::text);
            RETURN NULL;
          END IF;
          FOREACH one IN ARRAY ids LOOP
            CONTINUE WHEN one IS NULL;
            IF octet_length(one) > 2000 THEN
              PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ts', ts)::text);
              RETURN NULL;
            END IF;
            IF batch_bytes + octet_length(one) + 8 > 6000 THEN
              PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ids', batch, 'ts', ts)::text);
              batch := '{}';
              batch_bytes := 0;
            END IF;
            batch := batch || one;
            batch_bytes := batch_bytes + octet_length(one) + 8;
          END LOOP;
          IF array_length(batch, 1) > 0 THEN
            PERFORM pg_notify(channel, json_build_object('table', TG_TABLE_NAME, 'op', TG_OP, 'ids', batch, 'ts', ts)::text);
          END IF;
          RETURN NULL;
        END
        $catalog_cache$;
        """
    }

    /// The triggers of one table. `table` and `idColumn` are validated SQL identifiers.
    public static func triggers(table: String, idColumn: String, channel: String) -> String {
        let args = "('\(idColumn)', '\(channel)')"
        return """
        CREATE OR REPLACE TRIGGER catalog_cache_insert AFTER INSERT ON "\(table)"
          REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        CREATE OR REPLACE TRIGGER catalog_cache_update AFTER UPDATE ON "\(table)"
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        CREATE OR REPLACE TRIGGER catalog_cache_delete AFTER DELETE ON "\(table)"
          REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        CREATE OR REPLACE TRIGGER catalog_cache_truncate AFTER TRUNCATE ON "\(table)"
          FOR EACH STATEMENT EXECUTE FUNCTION \(functionName)\(args);
        """
    }

    /// Everything, for `--print`.
    public static func script(tables: [InvalidatedTable], channel: String) -> String {
        var out = "-- catalog-cache invalidation triggers (channel \(channel))\nBEGIN;\n" + function(channel: channel) + "\n"
        for table in tables { out += "\n-- \(table.name): id column \(table.idColumn)\n" + triggers(table: table.name, idColumn: table.idColumn, channel: channel) + "\n" }
        return out + "COMMIT;\n"
    }
}
