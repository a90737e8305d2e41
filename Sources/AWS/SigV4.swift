import Crypto

/// AWS Signature Version 4, header form (`Authorization: AWS4-HMAC-SHA256 …`).
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Hex SHA-256 of the empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// What signing produced: the headers to add and, for tests and debugging, the intermediate strings.
    public struct Signature: Sendable {
        /// `authorization`, `x-amz-date`, `x-amz-content-sha256` and, with a session token, `x-amz-security-token`.
        public var headers: [(name: String, value: String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
    }

    /// Signs a request.
    /// - Parameters:
    ///   - method: `GET`, `HEAD`, …
    ///   - canonicalPath: the URI path exactly as sent (already percent-encoded, starting with `/`).
    ///   - query: decoded query parameters; they are encoded and sorted here.
    ///   - headers: the headers to sign (must include `host`); names are lower-cased here.
    ///   - payloadHash: hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`).
    ///   - date: `yyyyMMdd'T'HHmmss'Z'`.
    public func sign(method: String, canonicalPath: String, query: [(String, String)], headers: [(String, String)],
                     payloadHash: String, date amzDate: String, lenientQuery: Bool = false) -> Signature {
        var all = headers.map { (name: $0.0.lowercased(), value: Self.normalizeHeaderValue($0.1)) }
        all.append((name: "x-amz-date", value: amzDate))
        all.append((name: "x-amz-content-sha256", value: payloadHash))
        if let token = credentials.sessionToken { all.append((name: "x-amz-security-token", value: token)) }
        // Same-named headers are joined with commas in order; names sorted.
        var merged: [String: String] = [:]
        var order: [String] = []
        for header in all {
            if let existing = merged[header.name] { merged[header.name] = existing + "," + header.value } else {
                merged[header.name] = header.value
                order.append(header.name)
            }
        }
        let names = order.sorted()
        let signedHeaders = names.joined(separator: ";")
        let canonicalHeaders = names.map { "\($0):\(merged[$0]!)\n" }.joined()
        let canonicalQuery = query
            .map { (Self.uriEncode($0.0, encodeSlash: true), Self.uriEncodeQueryValue($0.1, lenient: lenientQuery)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
        let canonicalRequest = [method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8))]
            .joined(separator: "\n")
        let key = signingKey(day: day)
        let signature = Self.hex(Array(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)))
        var out: [(name: String, value: String)] = [
            ("authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
            ("x-amz-date", amzDate),
            ("x-amz-content-sha256", payloadHash),
        ]
        if let token = credentials.sessionToken { out.append(("x-amz-security-token", token)) }
        return Signature(headers: out, canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature)
    }

    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Trims and collapses runs of spaces, as the canonical form requires.
    static func normalizeHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmedSpacesAndTabs()
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else `%XX` (upper-case hex);
    /// `/` kept unless `encodeSlash`; with `keepSubDelims`, also the characters RFC 3986 allows literally in a path
    /// segment (`!$&'()*+,:;=@`).
    public static func uriEncode(_ string: String, encodeSlash: Bool, keepSubDelims: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !encodeSlash:
                out.append("/")
            case _ where keepSubDelims && subDelims.contains(byte):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hexDigits[Int(byte & 15)]))
            }
        }
        return out
    }

    /// A query value: strict encoding, or with `lenient` `/` `:` `@` `!` `$` `'` `(` `)` `*` `,` `;` kept literal
    /// (never `&`, `=`, `+`, which mean something in a query).
    public static func uriEncodeQueryValue(_ string: String, lenient: Bool) -> String {
        guard lenient else { return uriEncode(string, encodeSlash: true) }
        return uriEncode(string, encodeSlash: false, keepSubDelims: true)
            .replacingAll("&", "%26").replacingAll("=", "%3D").replacingAll("+", "%2B")
    }

    private static let subDelims: Set<UInt8> = Set("!$&'()*+,:;=@".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
    private static let lowerHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(Array(SHA256.hash(data: bytes)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(lowerHexDigits[Int(b >> 4)])
            out.append(lowerHexDigits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }

    fileprivate func trimmedSpacesAndTabs() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
