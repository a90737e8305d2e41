import Testing
@testable import AWS

@Suite struct SigV4Tests {
    let credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    /// The GET Object example of the S3 SigV4 documentation (header authentication, `Range: bytes=0-9`).
    @Test func awsGetObjectExample() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let signed = signer.sign(method: "GET", canonicalPath: "/test.txt", query: [],
                                 headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                                 payloadHash: SigV4Signer.emptyPayloadHash, date: "20130524T000000Z")
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let authorization = signed.headers.first { $0.name == "authorization" }?.value
        #expect(authorization == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(!signed.headers.contains { $0.name == "x-amz-security-token" })
    }

    /// The ListObjects example of the same page (query parameters sorted and encoded).
    @Test func awsListObjectsExample() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let signed = signer.sign(method: "GET", canonicalPath: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                 headers: [("host", "examplebucket.s3.amazonaws.com")],
                                 payloadHash: SigV4Signer.emptyPayloadHash, date: "20130524T000000Z")
        #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == "max-keys=2&prefix=J")
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func sessionTokenIsSignedAndSent() {
        let withToken = AWSCredentials(accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey,
                                       sessionToken: "token/with+chars")
        let signed = SigV4Signer(credentials: withToken, region: "eu-west-1", service: "s3")
            .sign(method: "HEAD", canonicalPath: "/k", query: [], headers: [("host", "h")],
                  payloadHash: SigV4Signer.emptyPayloadHash, date: "20240101T120000Z")
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == "token/with+chars" })
        #expect(signed.canonicalRequest.contains("x-amz-security-token:token/with+chars\n"))
        #expect(signed.canonicalRequest.contains("host;x-amz-content-sha256;x-amz-date;x-amz-security-token"))
        #expect(signed.stringToSign.contains("20240101/eu-west-1/s3/aws4_request"))
    }

    @Test func uriEncoding() {
        #expect(SigV4Signer.uriEncode("dt=2024-01-01 00:00/part~1_a.b-c", encodeSlash: false) == "dt%3D2024-01-01%2000%3A00/part~1_a.b-c")
        #expect(SigV4Signer.uriEncode("a/b+c%", encodeSlash: true) == "a%2Fb%2Bc%25")
        #expect(SigV4Signer.uriEncode("é", encodeSlash: true) == "%C3%A9")
    }

    @Test func headerValuesAreNormalized() {
        #expect(SigV4Signer.normalizeHeaderValue("  a   b  c ") == "a b c")
    }

    @Test func dates() {
        #expect(HTTPDates.amzDate(1_369_353_600) == "20130524T000000Z")
        #expect(HTTPDates.amzDate(1_704_110_400 + 3723) == "20240101T130203Z")
        #expect(HTTPDates.parseISO8601("2013-05-24T00:00:00.000Z") == 1_369_353_600)
        #expect(HTTPDates.parseISO8601("2013-05-24T00:00:00.500Z") == 1_369_353_600.5)
        #expect(HTTPDates.parseISO8601("2013-05-24T02:00:00+02:00") == 1_369_353_600)
        #expect(HTTPDates.parseISO8601("not a date") == nil)
        #expect(HTTPDates.parseIMFFixdate("Fri, 24 May 2013 00:00:00 GMT") == 1_369_353_600)
        #expect(HTTPDates.parseIMFFixdate("Fri, 24 Foo 2013 00:00:00 GMT") == nil)
    }
}

@Suite struct KeyEncodingTests {
    @Test func lenientKeepsSubDelims() {
        #expect(SigV4Signer.uriEncode("dt=2024-01-01 10:00/a+b@c%", encodeSlash: false, keepSubDelims: true) == "dt=2024-01-01%2010:00/a+b@c%25")
    }
}
