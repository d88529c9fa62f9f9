/*
 * schema — the config component's tables (the HTTP configuration that
 * `hsys http` writes), applied by store/migrate.c.
 */
const char config_schema_v1[] =
    "CREATE TABLE setting ("
    "  name  TEXT PRIMARY KEY,"
    "  value ANY"
    ") STRICT;";
