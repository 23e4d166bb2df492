import Foundation

/// Builds an uncompressed ustar archive byte by byte, so tests can craft entries that no honest
/// writer would produce (absolute paths, `..`, links, devices).
struct RawTar {
    enum Kind: UInt8 { case file = 0x30, hardlink = 0x31, symlink = 0x32, charDevice = 0x33, directory = 0x35 }
    private(set) var data = Data()

    mutating func add(_ path: String, _ contents: Data = Data(), kind: Kind = .file, link: String = "") {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, b) in text.utf8.prefix(width).enumerated() { header[offset + i] = b }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8), at: offset, width: width - 1)
        }
        put(path, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(kind == .file ? contents.count : 0, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        header[156] = kind.rawValue
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for i in 148..<156 { header[i] = 0x20 }
        let sum = header.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        data.append(contentsOf: header)
        if kind == .file {
            data.append(contents)
            data.append(Data(count: (512 - contents.count % 512) % 512))
        }
    }

    func finished() -> Data { data + Data(count: 1024) }
}
