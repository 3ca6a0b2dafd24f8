/// Versions reported by `kata version` and `GET /api/v1/health`.
public enum KataVersion {
    /// The product version of all three programs.
    public static let string = "0.1.0"
    /// The HTTP API version prefix.
    public static let apiPrefix = "/api/v1"
}
