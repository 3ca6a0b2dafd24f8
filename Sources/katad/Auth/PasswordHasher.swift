import CArgon2
import Foundation
import NIOPosix

/// argon2id password hashing through the system libargon2, with a random 16-byte salt per password.
/// The result is the standard encoded string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), which
/// carries its own parameters, so stronger ones can be adopted later without breaking old hashes.
///
/// Hashing takes tens of milliseconds and ~19 MiB on purpose: `hash` and `verify` run on NIO's
/// blocking thread pool, never on an event loop or the concurrency pool, which also bounds how many
/// run (and how much memory they take) at once.
struct PasswordHasher: Sendable {
    /// Iterations (argon2's t_cost).
    var iterations: UInt32 = 2
    /// Memory in KiB (argon2's m_cost): 19 MiB.
    var memoryKiB: UInt32 = 19 * 1024
    var parallelism: UInt32 = 1
    static let saltLength = 16
    static let hashLength = 32

    enum Failure: Error, CustomStringConvertible {
        case argon2(Int32)
        var description: String {
            switch self {
            case .argon2(let code): return "argon2 failed with code \(code)"
            }
        }
    }

    /// The encoded argon2id hash of `password` with a fresh random salt.
    func hash(_ password: String) async throws -> String {
        let params = self
        return try await NIOThreadPool.singleton.runIfActive { try params.hashNow(password) }
    }

    /// Whether `password` matches `encoded` (libargon2 compares in constant time). A malformed
    /// `encoded` is simply a mismatch.
    func verify(_ password: String, encoded: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Self.verifyNow(password, encoded: encoded) }
    }

    func hashNow(_ password: String) throws -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let pwd = Array(password.utf8)
        let length = argon2_encodedlen(iterations, memoryKiB, parallelism, UInt32(salt.count), UInt32(Self.hashLength), Argon2_id)
        var out = [CChar](repeating: 0, count: length + 1)
        let rc = pwd.withUnsafeBytes { p in
            salt.withUnsafeBytes { s in
                argon2id_hash_encoded(
                    iterations, memoryKiB, parallelism, p.baseAddress, pwd.count, s.baseAddress, salt.count, Self.hashLength, &out,
                    out.count)
            }
        }
        guard rc == ARGON2_OK.rawValue else { throw Failure.argon2(rc) }
        let end = out.firstIndex(of: 0) ?? out.endIndex
        return String(decoding: out[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verifyNow(_ password: String, encoded: String) -> Bool {
        guard encoded.hasPrefix("$argon2id$") else { return false }
        let pwd = Array(password.utf8)
        let rc = pwd.withUnsafeBytes { p in argon2id_verify(encoded, p.baseAddress, pwd.count) }
        return rc == ARGON2_OK.rawValue
    }

    /// A hash of a random password with the same parameters, verified against when the user does not
    /// exist, so a wrong username costs as much as a wrong password.
    static let decoy: String = (try? PasswordHasher().hashNow(UUID().uuidString)) ?? ""
}
