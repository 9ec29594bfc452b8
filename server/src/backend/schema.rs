//! The server database's schema, one list of migrations for both backends: migration `n`
//! (1-based) brings a database at version `n - 1` to `n`. Written once, with a few words for
//! what the dialects spell differently, rendered for each backend by [`Dialect::render`]:
//!
//! | word | SQLite | PostgreSQL |
//! |---|---|---|
//! | `{key}` | `TEXT` | `TEXT COLLATE "C"` (ids and other keys compare bytewise, as in SQLite: cursors and listings agree) |
//! | `{int}` | `INTEGER` | `BIGINT` |
//! | `{bytes}` | `BLOB` | `BYTEA` |
//! | `{flag}` | `INTEGER NOT NULL DEFAULT 0` | `BOOLEAN NOT NULL DEFAULT FALSE` |
//! | `{not_applied}` | `applied = 0` | `NOT applied` (a partial index's predicate) |
//!
//! A database upgraded through every migration equals one created fresh (tested per backend).

/// The migrations, oldest first.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE users (
        id            {key} PRIMARY KEY,
        name          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled      {flag},
        created_ms    {int} NOT NULL
    );
    CREATE TABLE tokens (
        id         {key} PRIMARY KEY,
        hash       {key} NOT NULL UNIQUE,
        user_id    {key} NOT NULL REFERENCES users(id),
        device     TEXT NOT NULL,
        created_ms {int} NOT NULL,
        revoked_ms {int}
    );
    CREATE TABLE projects (
        id         {key} PRIMARY KEY,
        name       TEXT NOT NULL,
        feed_seq   {int} NOT NULL DEFAULT 0,
        created_ms {int} NOT NULL
    );
    CREATE TABLE members (
        project {key} NOT NULL REFERENCES projects(id),
        user_id {key} NOT NULL REFERENCES users(id),
        role    TEXT NOT NULL,
        PRIMARY KEY (project, user_id)
    );
    CREATE INDEX members_by_user ON members(user_id);
    CREATE TABLE records (
        id         {key} PRIMARY KEY,
        project    {key} NOT NULL REFERENCES projects(id),
        kind       TEXT NOT NULL,
        heads      TEXT NOT NULL DEFAULT '',
        created_ms {int} NOT NULL
    );
    CREATE INDEX records_by_project ON records(project, id);
    CREATE TABLE changes (
        record         {key} NOT NULL REFERENCES records(id),
        hash           {key} NOT NULL,
        deps           TEXT NOT NULL,
        data           {bytes} NOT NULL,
        applied        {flag},
        device_time_ms {int} NOT NULL,
        received_ms    {int} NOT NULL,
        user_id        TEXT NOT NULL,
        device         TEXT NOT NULL,
        PRIMARY KEY (record, hash)
    );
    CREATE INDEX changes_pending ON changes(record) WHERE {not_applied};
    CREATE TABLE feed (
        project {key} NOT NULL,
        seq     {int} NOT NULL,
        record  {key} NOT NULL,
        hash    {key} NOT NULL,
        device  TEXT NOT NULL,
        PRIMARY KEY (project, seq)
    );
    CREATE INDEX feed_by_record ON feed(record, seq);
    CREATE TABLE blob_refs (
        project {key} NOT NULL,
        sha256  {key} NOT NULL,
        record  {key} NOT NULL,
        PRIMARY KEY (project, sha256, record)
    );
    CREATE TABLE blob_grants (
        project {key} NOT NULL,
        sha256  {key} NOT NULL,
        PRIMARY KEY (project, sha256)
    );
    CREATE INDEX blob_grants_by_sha ON blob_grants(sha256);
"#,
    // 2: published checklist templates (ADR 0007), delivered to every device.
    r#"
    CREATE TABLE templates (
        id           {key} NOT NULL,
        version      {int} NOT NULL,
        hash         TEXT NOT NULL,
        json         TEXT NOT NULL,
        published_by TEXT NOT NULL,
        published_ms {int} NOT NULL,
        PRIMARY KEY (id, version)
    );
"#,
    // 3: per device (token), the time up to which everything it held had reached the server
    // (ADR 0008: patrol tasks are declared missed only past every assignee's watermark).
    r#"
    ALTER TABLE tokens ADD COLUMN watermark_ms {int};
"#,
    // 4: NTAG 424 DNA tag keys (held only here), the counter values each tag's scans brought,
    // and what the server found checking a change (ADR 0008).
    r#"
    CREATE TABLE tag_keys (
        uid      TEXT PRIMARY KEY,
        key      {bytes} NOT NULL,
        added_ms {int} NOT NULL
    );
    CREATE TABLE tag_counters (
        uid     TEXT NOT NULL,
        counter {int} NOT NULL,
        record  TEXT NOT NULL,
        hash    TEXT NOT NULL,
        PRIMARY KEY (uid, counter)
    );
    CREATE TABLE change_checks (
        record  TEXT NOT NULL,
        hash    TEXT NOT NULL,
        finding TEXT NOT NULL,
        PRIMARY KEY (record, hash)
    );
"#,
    // 5: official documents reported by devices, for `GET /v1/verify/{sha256}`.
    r#"
    CREATE TABLE issued_documents (
        sha256      TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        number      TEXT NOT NULL,
        records     TEXT NOT NULL,
        issued_ms   {int} NOT NULL,
        reported_by TEXT NOT NULL,
        reported_ms {int} NOT NULL
    );
"#,
    // 6: when each device token last authenticated a request: tokens unused for longer than
    // the server's `token_idle` stop working.
    r#"
    ALTER TABLE tokens ADD COLUMN last_used_ms {int};
"#,
    // 7: a user's tokens found by user (listing and revoking them). PostgreSQL databases made
    // before the schema was shared have it from their first migration.
    r#"
    CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(user_id);
"#,
];

/// How many migrations there are: the version of an up-to-date database.
pub(crate) const VERSION: usize = MIGRATIONS.len();

/// The SQL dialect a backend speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// Migration `index` (0-based) in this dialect.
    pub(crate) fn render(self, index: usize) -> Option<String> {
        let sql = MIGRATIONS.get(index)?;
        let words: [(&str, &str); 5] = match self {
            Dialect::Sqlite => [
                ("{key}", "TEXT"),
                ("{int}", "INTEGER"),
                ("{bytes}", "BLOB"),
                ("{flag}", "INTEGER NOT NULL DEFAULT 0"),
                ("{not_applied}", "applied = 0"),
            ],
            Dialect::Postgres => [
                ("{key}", "TEXT COLLATE \"C\""),
                ("{int}", "BIGINT"),
                ("{bytes}", "BYTEA"),
                ("{flag}", "BOOLEAN NOT NULL DEFAULT FALSE"),
                ("{not_applied}", "NOT applied"),
            ],
        };
        Some(words.iter().fold((*sql).to_owned(), |s, (word, spelled)| {
            s.replace(word, spelled)
        }))
    }

    /// The migrations a database at `version` lacks, in order.
    pub(crate) fn pending(self, version: usize) -> impl Iterator<Item = String> {
        (version..VERSION).filter_map(move |i| self.render(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_spelled_in_both_dialects() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            for i in 0..VERSION {
                let sql = dialect.render(i).unwrap();
                assert!(!sql.contains('{'), "{dialect:?} migration {}: {sql}", i + 1);
            }
        }
    }
}
