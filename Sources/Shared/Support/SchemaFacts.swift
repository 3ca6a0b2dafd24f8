/// Facts about the database schema that programs other than katad need (`kata-admin restore` checks a
/// file against them without linking the daemon). A katad test keeps this list equal to its migrations.
public enum SchemaFacts {
    /// The identifiers of katad's migrations, in order. A database that has applied one not in this list
    /// was made by a newer katad.
    public static let migrations = [
        "v1-core", "v2-tokens", "v3-users", "v4-lookup-indexes", "v5-fts-usermerge", "v6-activity-ascending", "v7-links-from",
        "v8-short-ids-by-uid",
    ]
}
