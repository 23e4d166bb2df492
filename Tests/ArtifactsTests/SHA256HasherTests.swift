import Artifacts
import Foundation
import Testing

@Suite("SHA-256")
struct SHA256HasherTests {
    @Test("the FIPS 180-2 examples hash to their published digests", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func published(message: String, digest: String) {
        #expect(SHA256Hasher.hex(message) == digest)
    }

    @Test("a million a's fed in uneven pieces hash like the published one-shot digest; a copy hashes on alone")
    func streaming() {
        var hasher = SHA256Hasher()
        let piece = Data(repeating: UInt8(ascii: "a"), count: 999)
        for _ in 0..<1001 { hasher.update(piece) }
        let fork = hasher
        hasher.update(Data(repeating: UInt8(ascii: "a"), count: 1))
        hasher.update(Data())
        #expect(hasher.byteCount == 1_000_000)
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(fork.byteCount == 999_999)
        #expect(fork.finalizeHex() == SHA256Hasher.hex(Data(repeating: UInt8(ascii: "a"), count: 999_999)))
        #expect(hasher.finalizeHex() == hasher.finalizeHex())
    }
}
