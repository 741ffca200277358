@testable import CatalogOrigin
import CatalogCacheCore
import Testing

@Suite("PBKDF2-HMAC-SHA256 password hashes")
struct PasswordHasherTests {
    /// RFC 7914 §11 test vectors for PBKDF2-HMAC-SHA256 (first 32 bytes of the derived key).
    @Test("RFC 7914 vectors")
    func vectors() {
        let one = PasswordHasher.derive(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1)
        #expect(Hex.lowercase(one) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
        let many = PasswordHasher.derive(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000)
        #expect(Hex.lowercase(many) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56")
    }

    @Test("hashes are salted, verify only the right password, and reject malformed stored hashes")
    func verify() {
        let a = PasswordHasher.hash("supersecret", iterations: 1000)
        let b = PasswordHasher.hash("supersecret", iterations: 1000)
        #expect(a != b)
        #expect(a.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHasher.verify("supersecret", against: a))
        #expect(!PasswordHasher.verify("supersecreT", against: a))
        #expect(!PasswordHasher.verify("", against: a))
        for bad in ["", "plain", "pbkdf2-sha256$0$00$00", "pbkdf2-sha256$x$00$00", "md5$1$00$00", a + "$"] {
            #expect(!PasswordHasher.verify("supersecret", against: bad), "\(bad)")
        }
    }
}
