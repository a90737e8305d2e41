import Testing
@testable import AWS

@Suite struct ConfigurationTests {
    static let credentialsFile = """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = defaultsecret

        [dev]
        aws_access_key_id=AKIDDEV
        aws_secret_access_key=devsecret ; inline comment
        aws_session_token = devtoken

        [half]
        aws_access_key_id = AKIDHALF
        """

    static let configFile = """
        [default]
        region = eu-west-1

        [profile dev]
        region = us-west-2
        services = local-dev
        s3 =
          addressing_style = path
        endpoint_url = https://global.example

        [profile only-config]
        aws_access_key_id = AKIDCONFIG
        aws_secret_access_key = configsecret
        region = ap-south-1

        [profile half]
        region = us-east-2

        [services local-dev]
        s3 =
          endpoint_url = http://localhost:9000
        dynamodb =
          endpoint_url = http://localhost:8000
        """

    func resolve(_ env: [String: String], credentials: String? = credentialsFile, config: String? = configFile) throws -> AWSConfiguration {
        var environment = env
        environment["HOME"] = "/home/test"
        return try AWSConfiguration.resolve(environment: environment) { path in
            switch path {
            case "/home/test/.aws/credentials": return credentials
            case "/home/test/.aws/config": return config
            case "/custom/creds": return "[default]\naws_access_key_id = AKIDCUSTOM\naws_secret_access_key = customsecret\n"
            default: return nil
            }
        }
    }

    @Test func iniParsing() {
        let ini = INIFile.parse(Self.configFile)
        #expect(ini.sections["profile dev"]?["region"] == "us-west-2")
        #expect(ini.sections["profile dev"]?["s3.addressing_style"] == "path")
        #expect(ini.sections["profile dev"]?["endpoint_url"] == "https://global.example")
        #expect(ini.sections["services local-dev"]?["dynamodb.endpoint_url"] == "http://localhost:8000")
        let creds = INIFile.parse(Self.credentialsFile)
        #expect(creds.sections["dev"]?["aws_secret_access_key"] == "devsecret")
        #expect(creds.sections["default"]?["aws_access_key_id"] == "AKIDDEFAULT")
        let crlf = INIFile.parse("[a]\r\nk = v\r\n[  profile   b ]\r\nx=1#not a comment\r\n")
        #expect(crlf.sections["a"]?["k"] == "v")
        #expect(crlf.sections["profile b"]?["x"] == "1#not a comment")
    }

    @Test func defaultProfileFromFiles() throws {
        let config = try resolve([:])
        #expect(config.profile == "default")
        #expect(config.credentials == AWSCredentials(accessKeyId: "AKIDDEFAULT", secretAccessKey: "defaultsecret"))
        #expect(config.region == "eu-west-1")
        #expect(config.endpointURL(service: "s3") == nil)
        #expect(config.s3AddressingStyle == .auto)
    }

    @Test func environmentCredentialsWin() throws {
        let config = try resolve(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "envtoken",
                                  "AWS_PROFILE": "dev", "AWS_DEFAULT_REGION": "sa-east-1"])
        #expect(config.credentials == AWSCredentials(accessKeyId: "AKIDENV", secretAccessKey: "envsecret", sessionToken: "envtoken"))
        #expect(config.credentialSource == "environment")
        #expect(config.region == "sa-east-1")
        #expect(try resolve(["AWS_REGION": "ca-central-1", "AWS_DEFAULT_REGION": "sa-east-1"]).region == "ca-central-1")
        #expect(throws: AWSConfigurationError.self) { try resolve(["AWS_ACCESS_KEY_ID": "AKIDENV"]) }
    }

    @Test func namedProfile() throws {
        let config = try resolve(["AWS_PROFILE": "dev"])
        #expect(config.credentials == AWSCredentials(accessKeyId: "AKIDDEV", secretAccessKey: "devsecret", sessionToken: "devtoken"))
        #expect(config.region == "us-west-2")
        #expect(config.s3AddressingStyle == .path)
        #expect(config.endpointURL(service: "s3") == "http://localhost:9000")
        #expect(config.endpointURL(service: "dynamodb") == "http://localhost:8000")
        #expect(config.endpointURL(service: "sqs") == "https://global.example")
        // Credentials only in the config file.
        let only = try resolve(["AWS_PROFILE": "only-config"])
        #expect(only.credentials?.accessKeyId == "AKIDCONFIG")
        #expect(only.region == "ap-south-1")
        // Missing profile, half a key pair.
        #expect(throws: AWSConfigurationError.self) { try resolve(["AWS_PROFILE": "nope"]) }
        #expect(throws: AWSConfigurationError.self) { try resolve(["AWS_PROFILE": "half"]) }
    }

    @Test func noFilesNoCredentials() throws {
        let config = try resolve([:], credentials: nil, config: nil)
        #expect(config.credentials == nil)
        #expect(config.region == "us-east-1")
        let custom = try resolve(["AWS_SHARED_CREDENTIALS_FILE": "/custom/creds"], credentials: nil, config: nil)
        #expect(custom.credentials?.accessKeyId == "AKIDCUSTOM")
    }

    @Test func endpointEnvironment() throws {
        let env = ["AWS_PROFILE": "dev", "AWS_ENDPOINT_URL": "http://env-global:1", "AWS_ENDPOINT_URL_S3": "http://env-s3:2",
                   "AWS_ENDPOINT_URL_DYNAMODB": "http://env-ddb:3"]
        let config = try resolve(env)
        #expect(config.endpointURL(service: "s3") == "http://env-s3:2")
        #expect(config.endpointURL(service: "DynamoDB") == "http://env-ddb:3")
        #expect(config.endpointURL(service: "sqs") == "http://env-global:1")
        let global = try resolve(["AWS_ENDPOINT_URL": "http://env-global:1"])
        #expect(global.endpointURL(service: "s3") == "http://env-global:1")
        let ignored = try resolve(env.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 })
        #expect(ignored.endpointURL(service: "s3") == nil)
    }

    @Test func secretsNeverPrinted() throws {
        let config = try resolve(["AWS_PROFILE": "dev"])
        let texts = [String(describing: config), String(reflecting: config), String(describing: config.credentials!),
                     String(reflecting: config.credentials!), "\(config.credentials!)"]
        var dumped = ""
        dump(config, to: &dumped)
        for text in texts + [dumped] {
            #expect(!text.contains("devsecret"), "\(text)")
            #expect(!text.contains("devtoken"), "\(text)")
        }
        #expect(String(describing: config.credentials!).contains("AKIDDEV"))
    }
}
