import Foundation

/// An access key pair and optional session token. Only the access key id is ever printed:
/// `description`, `debugDescription` and reflection (`dump`, string interpolation) redact the rest.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "none" : "<redacted>"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyId": accessKeyId, "secretAccessKey": "<redacted>",
                                "sessionToken": sessionToken == nil ? "none" : "<redacted>"])
    }
}

/// Errors from reading the AWS environment and configuration files. Messages never contain secrets.
public struct AWSConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How the bucket goes into S3 URLs.
public enum S3AddressingStyle: String, Sendable, Equatable {
    /// `https://bucket.s3.region.amazonaws.com/key` on AWS (when the bucket name allows it),
    /// `http://host/bucket/key` on custom endpoints.
    case auto
    /// `http://host/bucket/key`.
    case path
    /// `http://bucket.host/key`.
    case virtual
}

/// Settings resolved the way the AWS CLI and SDKs resolve them:
///
/// * profile: `AWS_PROFILE` (else `default`);
/// * credentials: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the profile in the
///   shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), else the profile in the
///   config file (`AWS_CONFIG_FILE`, default `~/.aws/config`; sections `[default]` / `[profile name]`);
///   `nil` when none is found (requests then go unsigned, which works for public buckets only);
/// * region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1`;
/// * endpoints: `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`),
///   `AWS_ENDPOINT_URL`, the `[services name]` section the profile names (`s3 =` / `  endpoint_url = …`),
///   the profile's `endpoint_url`; all ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`;
/// * S3 addressing style: the profile's nested `s3 =` / `  addressing_style = path|virtual|auto`.
public struct AWSConfiguration: Sendable, Equatable, CustomStringConvertible {
    public var profile: String
    public var region: String
    public var credentials: AWSCredentials?
    /// Where the credentials came from ("environment", "credentials file profile dev", …), for messages.
    public var credentialSource: String?
    /// `AWS_ENDPOINT_URL` or the profile's `endpoint_url`.
    public var globalEndpointURL: String?
    /// Service-specific endpoints keyed by lower-case service id with underscores (`s3`, `dynamodb`).
    public var serviceEndpointURLs: [String: String]
    public var s3AddressingStyle: S3AddressingStyle

    public init(profile: String = "default", region: String = "us-east-1", credentials: AWSCredentials? = nil,
                credentialSource: String? = nil, globalEndpointURL: String? = nil,
                serviceEndpointURLs: [String: String] = [:], s3AddressingStyle: S3AddressingStyle = .auto) {
        self.profile = profile
        self.region = region
        self.credentials = credentials
        self.credentialSource = credentialSource ?? (credentials == nil ? nil : "explicit")
        self.globalEndpointURL = globalEndpointURL
        self.serviceEndpointURLs = serviceEndpointURLs
        self.s3AddressingStyle = s3AddressingStyle
    }

    /// The endpoint URL configured for a service (`"s3"`, `"dynamodb"`, `"DynamoDB Streams"`…), or nil for the
    /// AWS default. A service-specific setting wins over the global one.
    public func endpointURL(service: String) -> String? {
        serviceEndpointURLs[Self.configKey(service: service)] ?? globalEndpointURL
    }

    public var description: String {
        var parts = ["profile: \(profile)", "region: \(region)"]
        if let credentials {
            parts.append("accessKeyId: \(credentials.accessKeyId) (from \(credentialSource ?? "?"))")
        } else {
            parts.append("credentials: none")
        }
        if let globalEndpointURL { parts.append("endpoint: \(globalEndpointURL)") }
        for (service, url) in serviceEndpointURLs.sorted(by: { $0.key < $1.key }) { parts.append("\(service) endpoint: \(url)") }
        return "AWSConfiguration(" + parts.joined(separator: ", ") + ")"
    }

    /// `dynamodb`, `dynamodb_streams`: the form used in config files.
    static func configKey(service: String) -> String {
        service.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// `DYNAMODB`, `DYNAMODB_STREAMS`: the suffix of `AWS_ENDPOINT_URL_<SERVICE>`.
    static func environmentSuffix(service: String) -> String {
        configKey(service: service).uppercased()
    }

    /// Resolves from the process environment and the files under `$HOME/.aws`.
    public static func fromEnvironment() throws -> AWSConfiguration {
        try resolve(environment: ProcessInfo.processInfo.environment)
    }

    /// Resolves from `environment`; `readFile` returns a file's contents or nil when it does not exist
    /// (tests pass their own). Throws when `AWS_PROFILE` names a profile no file defines, or a profile has
    /// only half a key pair.
    public static func resolve(
        environment: [String: String],
        readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) throws -> AWSConfiguration {
        func env(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        let home = env("HOME") ?? NSHomeDirectory()
        let credentialsPath = env("AWS_SHARED_CREDENTIALS_FILE").map { expandTilde($0, home: home) } ?? home + "/.aws/credentials"
        let configPath = env("AWS_CONFIG_FILE").map { expandTilde($0, home: home) } ?? home + "/.aws/config"
        let credentialsFile = readFile(credentialsPath).map(INIFile.parse) ?? INIFile(sections: [:])
        let configFile = readFile(configPath).map(INIFile.parse) ?? INIFile(sections: [:])

        let explicitProfile = env("AWS_PROFILE")
        let profile = explicitProfile ?? "default"
        let credentialsSection = credentialsFile.sections[profile]
        let configSection = profile == "default"
            ? (configFile.sections["default"] ?? configFile.sections["profile default"])
            : configFile.sections["profile \(profile)"]
        if explicitProfile != nil, credentialsSection == nil, configSection == nil {
            throw AWSConfigurationError("AWS profile '\(profile)' (from AWS_PROFILE) is not in \(credentialsPath) or \(configPath)")
        }

        var result = AWSConfiguration(profile: profile)

        // Credentials.
        let envKey = env("AWS_ACCESS_KEY_ID"), envSecret = env("AWS_SECRET_ACCESS_KEY")
        if envKey != nil || envSecret != nil {
            guard let envKey, let envSecret else {
                throw AWSConfigurationError("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (only \(envKey != nil ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") is set)")
            }
            result.credentials = AWSCredentials(accessKeyId: envKey, secretAccessKey: envSecret, sessionToken: env("AWS_SESSION_TOKEN"))
            result.credentialSource = "environment"
        } else {
            for (section, source) in [(credentialsSection, "\(credentialsPath) [\(profile)]"), (configSection, "\(configPath) profile \(profile)")] {
                guard let section else { continue }
                let key = section["aws_access_key_id"], secret = section["aws_secret_access_key"]
                if key == nil && secret == nil { continue }
                guard let key, let secret, !key.isEmpty, !secret.isEmpty else {
                    throw AWSConfigurationError("\(source): aws_access_key_id and aws_secret_access_key must both be set")
                }
                result.credentials = AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: section["aws_session_token"])
                result.credentialSource = source
                break
            }
        }

        // Region.
        result.region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? configSection?["region"] ?? credentialsSection?["region"] ?? "us-east-1"

        // Endpoints: lowest precedence first, so later assignments win.
        let ignoreConfigured = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
        if !ignoreConfigured {
            if let url = configSection?["endpoint_url"] { result.globalEndpointURL = url }
            if let servicesName = configSection?["services"], let services = configFile.sections["services \(servicesName)"] {
                for (key, value) in services {
                    let parts = key.split(separator: ".", maxSplits: 1)
                    if parts.count == 2, parts[1] == "endpoint_url" { result.serviceEndpointURLs[String(parts[0])] = value }
                }
            }
            if let url = env("AWS_ENDPOINT_URL") { result.globalEndpointURL = url }
            for (name, value) in environment where name.hasPrefix("AWS_ENDPOINT_URL_") {
                let suffix = String(name.dropFirst("AWS_ENDPOINT_URL_".count))
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                guard !suffix.isEmpty, !trimmed.isEmpty else { continue }
                result.serviceEndpointURLs[suffix.lowercased()] = trimmed
            }
        }

        if let style = configSection?["s3.addressing_style"] {
            guard let parsed = S3AddressingStyle(rawValue: style.lowercased()) else {
                throw AWSConfigurationError("\(configPath) profile \(profile): s3 addressing_style must be path, virtual or auto, not '\(style)'")
            }
            result.s3AddressingStyle = parsed
        }
        return result
    }

    private static func expandTilde(_ path: String, home: String) -> String {
        path.hasPrefix("~/") ? home + path.dropFirst() : path
    }
}

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]` headers, `key = value` lines,
/// full-line `#` / `;` comments (and inline ones after whitespace), and nested sub-settings
/// (`s3 =` followed by indented `key = value` lines, stored as `s3.key`). Keys are lower-cased.
public struct INIFile: Sendable, Equatable {
    /// Section name (trimmed, inner whitespace collapsed: `profile dev`) → key → value.
    public var sections: [String: [String: String]]

    public init(sections: [String: [String: String]]) { self.sections = sections }

    public static func parse(_ text: String) -> INIFile {
        var sections: [String: [String: String]] = [:]
        var current: String?
        var nestedParent: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"
            if trimmed.hasPrefix("[") {
                nestedParent = nil
                guard let close = trimmed.firstIndex(of: "]") else { current = nil; continue }
                let name = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
                    .split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = stripInlineComment(String(trimmed[trimmed.index(after: eq)...])).trimmingCharacters(in: .whitespaces)
            if indented, let parent = nestedParent {
                sections[section]![parent + "." + key] = value
                continue
            }
            if value.isEmpty {
                nestedParent = key
            } else {
                nestedParent = nil
                sections[section]![key] = value
            }
        }
        return INIFile(sections: sections)
    }

    /// Drops ` # comment` / ` ; comment` (a comment marker preceded by whitespace).
    private static func stripInlineComment(_ value: String) -> String {
        var previous: Character = " "
        var index = value.startIndex
        var sawNonSpace = false
        while index < value.endIndex {
            let c = value[index]
            if (c == "#" || c == ";") && sawNonSpace && (previous == " " || previous == "\t") {
                return String(value[..<index])
            }
            if c != " " && c != "\t" { sawNonSpace = true }
            previous = c
            index = value.index(after: index)
        }
        return value
    }
}
