import Shared

/// The bootstrap token kata-admin sends on the admin socket: `KATA_AUTH_TOKEN`, else `[auth] token` of config.toml.
enum AdminToken {
    static func find(home: KataHome, env: [String: String] = Shared.Environment.all()) -> String? {
        if let t = Shared.Environment.value("KATA_AUTH_TOKEN", in: env) { return t }
        guard let text = Paths.readText(home.configPath) else { return nil }
        let token = DaemonConfig.parse(text, file: home.configPath).0.auth.token
        return token?.isEmpty == false ? token : nil
    }
}
