import Testing
@testable import ObjectStore

@Suite struct ParsingTests {
    @Test func s3URLs() throws {
        #expect(try S3ObjectStore.parse(url: "s3://bucket/prefix/") == ("bucket", "prefix/"))
        #expect(try S3ObjectStore.parse(url: "s3://bucket/a/dt=2024-01-01/x.parquet") == ("bucket", "a/dt=2024-01-01/x.parquet"))
        #expect(try S3ObjectStore.parse(url: "s3://bucket") == ("bucket", ""))
        #expect(try S3ObjectStore.parse(url: "s3://bucket/") == ("bucket", ""))
        #expect(try S3ObjectStore.parse(url: "s3a://my.bucket-1/p") == ("my.bucket-1", "p"))
        #expect(try S3ObjectStore.parse(url: "S3://bucket/p") == ("bucket", "p"))
        for bad in ["s3://", "s3:///prefix", "http://bucket/p", "/local/path", "s3://bu cket/p"] {
            #expect(throws: S3Error.self, "\(bad)") { try S3ObjectStore.parse(url: bad) }
        }
    }

    @Test func endpoints() throws {
        let aws = try S3ObjectStore.resolveEndpoint(bucket: "my-bucket", region: "eu-west-1", configured: nil, style: .auto)
        #expect(aws == .init(scheme: "https", host: "my-bucket.s3.eu-west-1.amazonaws.com", port: nil, basePath: ""))
        let dotted = try S3ObjectStore.resolveEndpoint(bucket: "my.bucket", region: "eu-west-1", configured: nil, style: .auto)
        #expect(dotted == .init(scheme: "https", host: "s3.eu-west-1.amazonaws.com", port: nil, basePath: "/my.bucket"))
        let local = try S3ObjectStore.resolveEndpoint(bucket: "b", region: "us-east-1", configured: "http://127.0.0.1:9000/", style: .auto)
        #expect(local == .init(scheme: "http", host: "127.0.0.1", port: 9000, basePath: "/b"))
        #expect(local.hostHeader == "127.0.0.1:9000")
        let virtual = try S3ObjectStore.resolveEndpoint(bucket: "b", region: "us-east-1", configured: "http://localhost:9000", style: .virtual)
        #expect(virtual.host == "b.localhost" && virtual.basePath == "")
        let withPath = try S3ObjectStore.resolveEndpoint(bucket: "b", region: "x", configured: "https://gw.example:443/s3", style: .path)
        #expect(withPath.basePath == "/s3/b" && withPath.hostHeader == "gw.example")
        let v6 = try S3ObjectStore.resolveEndpoint(bucket: "b", region: "x", configured: "http://[::1]:9000", style: .auto)
        #expect(v6.host == "[::1]" && v6.port == 9000)
        #expect(throws: S3Error.self) { try S3ObjectStore.resolveEndpoint(bucket: "b", region: "x", configured: "localhost:9000", style: .auto) }
        #expect(throws: S3Error.self) { try S3ObjectStore.resolveEndpoint(bucket: "b", region: "x", configured: "ftp://h", style: .auto) }
    }

    @Test func listPage() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name><Prefix>events/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
              <IsTruncated>true</IsTruncated>
              <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
              <Contents>
                <Key>events/dt=2024-01-01/a&amp;b &lt;1&gt;.parquet</Key>
                <LastModified>2024-01-01T00:00:01.000Z</LastModified>
                <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
                <Size>1234</Size>
                <StorageClass>STANDARD</StorageClass>
              </Contents>
              <Contents>
                <Key><![CDATA[events/_SUCCESS]]></Key><Size>0</Size><!-- no etag -->
              </Contents>
            </ListBucketResult>
            """
        let page = try ListObjectsPage.parse(Array(xml.utf8))
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        #expect(page.objects == [
            ObjectInfo(key: "events/dt=2024-01-01/a&b <1>.parquet", size: 1234, etag: "\"9b2cf535f27731c974343645a3985328\"",
                       lastModified: 1_704_067_201),
            ObjectInfo(key: "events/_SUCCESS", size: 0),
        ])
        let last = try ListObjectsPage.parse(Array("<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>".utf8))
        #expect(!last.isTruncated && last.objects.isEmpty && last.nextContinuationToken == nil)
        let encoded = try ListObjectsPage.parse(Array("""
            <ListBucketResult><EncodingType>url</EncodingType><Contents><Key>a%20b/%C3%A9</Key><Size>1</Size></Contents>\
            <CommonPrefixes><Prefix>dt%3D1/</Prefix></CommonPrefixes></ListBucketResult>
            """.utf8))
        #expect(encoded.objects.first?.key == "a b/é")
        #expect(encoded.commonPrefixes == ["dt=1/"])
        #expect(throws: XMLParseError.self) { try ListObjectsPage.parse(Array("<Error><Code>X</Code></Error>".utf8)) }
        #expect(throws: XMLParseError.self) { try ListObjectsPage.parse(Array("<ListBucketResult><Contents>".utf8)) }
        #expect(throws: XMLParseError.self) { try ListObjectsPage.parse(Array("<a></b>".utf8)) }
    }

    @Test func errorDocument() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
            <Key>a/b</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        #expect(S3ErrorDocument.parse(Array(xml.utf8)) == S3ErrorDocument(code: "NoSuchKey", message: "The specified key does not exist.",
                                                                           requestId: "4442587FB7D0A2F9"))
        #expect(S3ErrorDocument.parse(Array("<ErrorResponse><Error><Code>SlowDown</Code></Error></ErrorResponse>".utf8))?.code == "SlowDown")
        #expect(S3ErrorDocument.parse(Array("<html>oops</html>".utf8)) == nil)
        #expect(S3ErrorDocument.parse([]) == nil)
    }

    @Test func retryClassification() {
        for code in ["SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError", "ServiceUnavailable"] {
            #expect(S3Error.isRetryable(httpStatus: 503, code: code), "\(code)")
        }
        #expect(S3Error.isRetryable(httpStatus: 400, code: "RequestTimeout"))
        #expect(S3Error.isRetryable(httpStatus: 500, code: nil))
        #expect(S3Error.isRetryable(httpStatus: 502, code: "BadGateway"))
        #expect(S3Error.isRetryable(httpStatus: 429, code: nil))
        for code in ["SignatureDoesNotMatch", "AccessDenied", "NoSuchBucket", "NoSuchKey", "InvalidAccessKeyId", "InvalidRange"] {
            #expect(!S3Error.isRetryable(httpStatus: code == "NoSuchKey" || code == "NoSuchBucket" ? 404 : 403, code: code), "\(code)")
        }
        #expect(!S3Error.isRetryable(httpStatus: 400, code: "InvalidArgument"))
        #expect(!S3Error.isRetryable(httpStatus: 404, code: nil))
    }

    @Test func errorDescription() {
        let error = S3Error(code: "NoSuchKey", message: "The specified key does not exist.", operation: "GetObject",
                            bucket: "b", key: "dt=1/x.parquet", httpStatus: 404, requestId: "R1")
        #expect(error.description == "S3 GetObject s3://b/dt=1/x.parquet: NoSuchKey (HTTP 404): The specified key does not exist. [request id R1]")
    }
}
