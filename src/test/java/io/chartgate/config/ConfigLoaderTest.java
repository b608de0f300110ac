package io.chartgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    private static final Path SOURCE = Path.of("/etc/chartgate/chartgate.yaml");

    private static final String TLS = """
            server:
              tls:
                certFile: certs/server.crt
                keyFile: certs/server.key
                clientCaFile: /pki/ca.crt
            """;

    private static final String MINIMAL = TLS + """
            routes:
              - name: museum
                prefix: /
                upstream: { type: http, url: "http://127.0.0.1:8080" }
            """;

    private static GatewayConfig load(String yaml) throws ConfigException {
        return load(yaml, Map.of());
    }

    private static GatewayConfig load(String yaml, Map<String, String> env) throws ConfigException {
        return new ConfigLoader(env).parse(yaml, SOURCE);
    }

    private static List<String> errors(String yaml) {
        return errors(yaml, Map.of());
    }

    private static List<String> errors(String yaml, Map<String, String> env) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(yaml, env));
        return e.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void minimalFileGetsTheDesignDefaults() throws Exception {
        GatewayConfig c = load(MINIMAL);
        assertEquals("0.0.0.0", c.server().host());
        assertEquals(8443, c.server().port());
        assertNull(c.server().publicUrl());
        assertEquals(ClientAuth.REQUIRED, c.server().tls().clientAuth());
        assertEquals(CrlStale.REJECT, c.server().tls().crlStale());
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), c.server().tls().protocols());
        assertEquals(TlsEngine.DEFAULT, c.server().tls().engine());
        assertEquals(Limits.DEFAULTS, c.server().limits());
        assertEquals(ForwardClientCert.XFCC, c.server().forwardClientCert());
        assertEquals(AdminConfig.DEFAULTS, c.admin());
        assertEquals(100, c.metrics().maxPrincipals());
        assertEquals(2, c.reload().watchIntervalSeconds());
        HttpUpstreamConfig http = assertInstanceOf(HttpUpstreamConfig.class, c.routes().get(0).upstream());
        assertEquals(2000, http.connectTimeoutMs());
        assertEquals(30_000, http.responseTimeoutMs());
        assertTrue(http.rewriteIndexUrls());
        assertTrue(c.policy().rules().isEmpty());
    }

    @Test
    void anOciRouteTakesARegistryOriginAndBasicCredentials() throws Exception {
        GatewayConfig c = load(TLS + """
                routes:
                  - name: registry
                    prefix: /v2
                    upstream: { type: oci, url: "http://registry:5000/", auth: { basic: { username: gw, password: pw } } }
                """);
        OciUpstreamConfig oci = assertInstanceOf(OciUpstreamConfig.class, c.routes().get(0).upstream());
        assertEquals("http://registry:5000", oci.url().toString());
        assertEquals("gw", oci.auth().username());
        assertEquals("pw", oci.auth().password().reveal());
        assertEquals("oci", oci.type());
    }

    @Test
    void anOciRouteLivesUnderV2AndItsUrlHasNoPath() {
        List<String> errors = errors(TLS + """
                routes:
                  - { name: a, prefix: /charts, upstream: { type: oci, url: "http://registry:5000" } }
                  - { name: b, prefix: /v2, upstream: { type: oci, url: "http://registry:5000/v2", caFile: ca.crt } }
                  - { name: c, prefix: /v2/c, upstream: { type: oci, url: "https://r", auth: { bearer: t } } }
                """);
        assertEquals(List.of(
                "routes[0].prefix: \"/charts\" is not under /v2 (expected /v2 or /v2/<namespace>: an oci route receives "
                        + "the registry API's paths unchanged)",
                "routes[1].upstream.url: \"http://registry:5000/v2\" has a path (expected the registry's origin such as "
                        + "http://registry:5000; requests keep their /v2/... path)",
                "routes[2].upstream.auth.bearer: not for an oci upstream (expected basic: the gateway asks the registry's "
                        + "token realm for bearer tokens itself)"), errors.stream().filter(e -> !e.contains("caFile")).toList());
    }

    @Test
    void relativePathsResolveAgainstTheConfigFilesDirectory() throws Exception {
        GatewayConfig c = load(MINIMAL);
        assertEquals(Path.of("/etc/chartgate/certs/server.crt"), c.server().tls().certFile());
        assertEquals(Path.of("/pki/ca.crt"), c.server().tls().clientCaFile());
    }

    @Test
    void threeIndependentMistakesAreAllReportedWithTheirKeyPaths() {
        List<String> errors = errors(TLS + """
                  port: 99999
                routes:
                  - name: museum
                    prefix: /
                    upstream: { type: http, url: "http://127.0.0.1:8080" }
                  - name: ftp
                    prefix: /ftp
                    upstream: { type: ftp, url: "ftp://x" }
                policy:
                  rules:
                    - name: devs
                      match: { ou: engineering }
                      raed: ["/**"]
                """.replace("server:\n  tls:", "server:\n  tls:"));
        assertEquals(List.of(
                "server.port: 99999 is out of range (expected 0 to 65535)",
                "routes[1].upstream.type: unknown value \"ftp\" (expected http, s3, file, oci)",
                "policy.rules[0].raed: unknown key (did you mean \"read\"?)",
                "policy.rules[0]: grants nothing (expected read or write path globs)"), errors);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"boringssl, BORINGSSL", "openssl, OPENSSL", "jdk, JDK"})
    void eachTlsEngineIsReadByItsName(String name, TlsEngine engine) throws Exception {
        assertEquals(engine, load(MINIMAL.replace("    clientCaFile: /pki/ca.crt\n",
                "    clientCaFile: /pki/ca.crt\n    engine: " + name + "\n")).server().tls().engine());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown top-level key     | roots: []                                          | roots: unknown key (did you mean "routes"?)
            unknown server key        | server: { prot: 1 }                                | server.prot: unknown key (did you mean "port"?)
            key far from any known    | zzzzzz: 1                                          | zzzzzz: unknown key (expected one of server, admin, routes, policy, metrics, reload)
            bad enum                  | server: { tls: { clientAuth: maybe } }             | server.tls.clientAuth: unknown value "maybe" (expected required, optional)
            unknown tls engine        | server: { tls: { engine: openssl3 } }              | server.tls.engine: unknown value "openssl3" (expected boringssl, openssl, jdk)
            tls engine not a word     | server: { tls: { engine: [openssl] } }             | server.tls.engine: expected a text value, found a list
            bad protocol              | server: { tls: { protocols: [TLSv1.1] } }          | server.tls.protocols[0]: unknown value "TLSv1.1" (expected TLSv1.3, TLSv1.2)
            negative limit            | server: { limits: { idleTimeoutSeconds: -1 } }     | server.limits.idleTimeoutSeconds: -1 is out of range (expected 1 to 86400)
            zero body limit           | server: { limits: { maxBodyBytes: 0 } }            | server.limits.maxBodyBytes: 0 is out of range (expected 1 to 9223372036854775807)
            size with a bad unit      | server: { limits: { maxBodyBytes: 1GB } }          | server.limits.maxBodyBytes: "1GB" is not a size (expected bytes, e.g. 1073741824, 512Mi or 1Gi)
            not a number              | admin: { port: high }                              | admin.port: "high" is not a whole number
            not a boolean             | routes: [{name: a, prefix: /, upstream: {type: http, url: "http://x", rewriteIndexUrls: yes please}}] | routes[0].upstream.rewriteIndexUrls: "yes please" is not a boolean (expected true or false)
            bad url scheme            | routes: [{name: a, prefix: /, upstream: {type: http, url: "ftp://x"}}] | routes[0].upstream.url: "ftp://x" (expected http:// or https:// URL)
            url with query            | routes: [{name: a, prefix: /, upstream: {type: http, url: "http://x/?a=b"}}] | routes[0].upstream.url: "http://x/?a=b" must not have a query or fragment (expected http:// or https:// URL)
            url with a password       | routes: [{name: a, prefix: /, upstream: {type: http, url: "http://gw:hunter2@x/"}}] | routes[0].upstream.url: must not hold user info (credentials go in auth; expected http:// or https:// URL)
            header limit too large    | server: { limits: { maxHeaderBytes: 4Gi } }        | server.limits.maxHeaderBytes: "4Gi" is out of range (expected 1 to 1048576)
            prefix without slash      | routes: [{name: a, prefix: charts, upstream: {type: file, dir: x}}] | routes[0].prefix: "charts" must start with / (expected a path prefix such as / or /s3)
            prefix with dot segment   | routes: [{name: a, prefix: /a/../b, upstream: {type: file, dir: x}}] | routes[0].prefix: "/a/../b" is not a plain path (expected segments without ., .., %, \\, *, ? or #)
            route name not a label    | routes: [{name: My Route, prefix: /, upstream: {type: file, dir: x}}] | routes[0].name: "My Route" is not a valid name (expected lower-case letters, digits, - and _; it becomes a metric label)
            missing upstream          | routes: [{name: a, prefix: /}]                     | routes[0].upstream: required (expected a mapping with type: http, s3, file or oci)
            file upstream extra key   | routes: [{name: a, prefix: /, upstream: {type: file, dir: x, url: "http://x"}}] | routes[0].upstream.url: unknown key (expected one of type, dir, rewriteIndexUrls, indexUrlPrefixes, filterIndex)
            caFile on plain http      | routes: [{name: a, prefix: /, upstream: {type: http, url: "http://x", caFile: ca.pem}}] | routes[0].upstream.caFile: only applies to an https:// url
            both auth kinds           | routes: [{name: a, prefix: /, upstream: {type: http, url: "http://x", auth: {bearer: t, basic: {username: u, password: p}}}}] | routes[0].upstream.auth: expected exactly one of basic or bearer
            bad bucket                | routes: [{name: a, prefix: /, upstream: {type: s3, bucket: Bad_Bucket, accessKeyId: a, secretAccessKey: b}}] | routes[0].upstream.bucket: "Bad_Bucket" is not a valid bucket name (expected 3-63 lower-case letters, digits, '.' and '-')
            s3 without credentials    | routes: [{name: a, prefix: /, upstream: {type: s3, bucket: charts}}] | routes[0].upstream: no credentials (expected accessKeyId and secretAccessKey, or the environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
            unknown match key         | policy: { rules: [{name: r, match: {commonName: x}, read: [/x]}] } | policy.rules[0].match.commonName: unknown key (expected one of subject, cn, ou, o, sanDns, sanUri, sanEmail, fingerprint, issuer, issuerFingerprint, serial)
            misspelled match key      | policy: { rules: [{name: r, match: {sanDNS: x}, read: [/x]}] } | policy.rules[0].match.sanDNS: unknown key (did you mean "sanDns"?)
            empty match               | policy: { rules: [{name: r, match: {}, read: [/x]}] } | policy.rules[0].match: must not be empty (a rule for every certificate says so: cn: "*")
            relative glob             | policy: { rules: [{name: r, match: {cn: a}, read: [charts/**]}] } | policy.rules[0].read[0]: "charts/**" must start with / (expected a path glob such as /charts/**)
            dot in glob               | policy: { rules: [{name: r, match: {cn: a}, write: [/a/../b]}] } | policy.rules[0].write[0]: "/a/../b" must not hold . or .. segments (paths are canonical before they are matched)
            crl cache without fetch   | server: { tls: { crlCacheDir: /var/cache/crls } }  | server.tls.crlCacheDir: only applies with crlFetch: true
            crl fetch interval zero   | server: { tls: { crlFetch: true, crlFetchIntervalSeconds: 0 } } | server.tls.crlFetchIntervalSeconds: 0 is out of range (expected 1 to 604800)
            bad cidr                  | server: { trustedProxies: [10.0.0.0/33] }          | server.trustedProxies[0]: "10.0.0.0/33" is not a CIDR: prefix length must be 0 to 32 (expected e.g. 10.0.0.0/8)
            host name as cidr         | server: { trustedProxies: [proxy.local] }          | server.trustedProxies[0]: "proxy.local" is not a CIDR: not an IP address (expected e.g. 10.0.0.0/8)
            zero principals           | metrics: { maxPrincipals: 0 }                      | metrics.maxPrincipals: 0 is out of range (expected 1 to 100000)
            list where map expected   | admin: [1, 2]                                      | admin: expected a mapping (key: value), found a list
            """)
    void eachMistakeNamesItsKeyPathAndWhatWasExpected(String name, String yaml, String expected) {
        assertTrue(errors(yaml).contains(expected), () -> "expected <" + expected + "> among " + errors(yaml));
    }

    @Test
    void duplicateRouteNamesAndPrefixesAreErrors() {
        List<String> errors = errors(TLS + """
                routes:
                  - { name: a, prefix: /charts, upstream: { type: file, dir: x } }
                  - { name: a, prefix: /charts/, upstream: { type: file, dir: y } }
                """);
        assertTrue(errors.contains("routes[1].name: duplicate route name \"a\" (also at routes[0].name)"), errors::toString);
        assertTrue(errors.contains("routes[1].prefix: duplicate route prefix \"/charts\" (also at routes[0].prefix)"), errors::toString);
    }

    @Test
    void duplicateRuleNamesAreErrors() {
        List<String> errors = errors(MINIMAL + """
                policy:
                  rules:
                    - { name: devs, match: { ou: a }, read: [/**] }
                    - { name: devs, match: { ou: b }, read: [/**] }
                """);
        assertEquals(List.of("policy.rules[1].name: duplicate rule name \"devs\" (also at policy.rules[0].name)"), errors);
    }

    @Test
    void duplicateYamlKeysAreAnError() {
        List<String> errors = errors("admin:\n  port: 1\n  port: 2\n");
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).contains("Duplicate field 'port'"), errors::toString);
        assertTrue(errors.get(0).contains("line 3"), errors::toString);
    }

    @Test
    void missingServerAndRoutesAreReported() {
        assertEquals(List.of("server: required (expected a mapping with at least tls)", "routes: required (expected a list)"),
                errors("admin: { port: 9091 }\n"));
    }

    @Test
    void tlsNeedsEitherPemFilesOrAKeyStore() {
        List<String> errors = errors("""
                server:
                  tls:
                    keyStoreFile: server.p12
                    keyFile: server.key
                    clientCaFile: ca.crt
                routes: [{ name: a, prefix: /, upstream: { type: file, dir: x } }]
                """);
        assertEquals(List.of("server.tls.keyFile: cannot be combined with keyStoreFile (expected either certFile + keyFile or keyStoreFile)"),
                errors);
        assertEquals(List.of("server.tls.certFile: required (expected a PEM certificate chain, or keyStoreFile)",
                        "server.tls.keyFile: required (expected a PEM private key, or keyStoreFile)"),
                errors("server: { tls: { clientCaFile: ca.crt } }\nroutes: [{ name: a, prefix: /, upstream: { type: file, dir: x } }]\n"));
    }

    @Test
    void environmentVariablesAreExpandedInEveryTextValue() throws Exception {
        GatewayConfig c = load(MINIMAL.replace("http://127.0.0.1:8080", "http://${CM_HOST}:${CM_PORT}") + """
                  - name: bucket
                    prefix: /s3
                    upstream: { type: s3, bucket: charts, accessKeyId: "${KEY_ID}", secretAccessKey: "${SECRET}" }
                admin: { port: "${ADMIN_PORT}" }
                """, Map.of("CM_HOST", "museum", "CM_PORT", "8080", "KEY_ID", "AKID", "SECRET", "s3cr3t", "ADMIN_PORT", "9191"));
        assertEquals("http://museum:8080", ((HttpUpstreamConfig) c.routes().get(0).upstream()).url().toString());
        assertEquals(9191, c.admin().port());
        S3UpstreamConfig s3 = (S3UpstreamConfig) c.routes().get(1).upstream();
        assertEquals("s3cr3t", s3.secretAccessKey().reveal());
    }

    @Test
    void aMissingEnvironmentVariableIsAnErrorNamingIt() {
        assertEquals(List.of("routes[0].upstream.auth.basic.password: environment variable CM_PASSWORD is not set"),
                errors(MINIMAL.replace("upstream: { type: http, url: \"http://127.0.0.1:8080\" }",
                        "upstream: { type: http, url: \"http://x\", auth: { basic: { username: gw, password: \"${CM_PASSWORD}\" } } }")));
    }

    @Test
    void aDoubledDollarIsALiteral() throws Exception {
        GatewayConfig c = load(MINIMAL.replace("prefix: /\n", "prefix: /\n") + """
                policy:
                  rules: [{ name: r, match: { cn: "$${NOT_A_VAR}" }, read: [/**] }]
                """);
        assertEquals("${NOT_A_VAR}", c.policy().rules().get(0).match().get(MatchKey.CN));
    }

    @Test
    void s3CredentialsFallBackToTheStandardAwsVariables() throws Exception {
        GatewayConfig c = load(TLS + """
                routes:
                  - { name: bucket, prefix: /s3, upstream: { type: s3, bucket: charts, region: eu-west-1 } }
                """, Map.of("AWS_ACCESS_KEY_ID", "AKID", "AWS_SECRET_ACCESS_KEY", "secret", "AWS_SESSION_TOKEN", "tok"));
        S3UpstreamConfig s3 = (S3UpstreamConfig) c.routes().get(0).upstream();
        assertEquals("AKID", s3.accessKeyId().reveal());
        assertEquals("tok", s3.sessionToken().reveal());
        assertEquals("https://s3.eu-west-1.amazonaws.com", s3.endpoint().toString());
        assertFalse(s3.pathStyle());
    }

    @Test
    void sizesAcceptBinaryAndDecimalUnits() throws Exception {
        GatewayConfig c = load(TLS + """
                  limits: { maxBodyBytes: 20Mi, maxHeaderBytes: 8k }
                routes: [{ name: a, prefix: /, upstream: { type: file, dir: x } }]
                """);
        assertEquals(20L << 20, c.server().limits().maxBodyBytes());
        assertEquals(8000, c.server().limits().maxHeaderBytes());
    }

    @Test
    void secretsNeverAppearInErrorsOrRecordText() throws Exception {
        String yaml = MINIMAL.replace("upstream: { type: http, url: \"http://127.0.0.1:8080\" }",
                "upstream: { type: http, url: \"http://x\", auth: { bearer: \"t0ps3cret\" } }");
        GatewayConfig c = load(yaml);
        assertFalse(c.toString().contains("t0ps3cret"), c::toString);
        List<String> errors = errors(yaml + "  - { name: a, prefix: /, upstream: { type: http, url: \"http://y\", auth: { basic: { username: u, password: [hunter2] } } } }\n");
        assertFalse(errors.toString().contains("hunter2"), errors::toString);
    }

    @Test
    void publicUrlLosesItsTrailingSlash() throws Exception {
        GatewayConfig c = load(MINIMAL.replace("server:\n", "server:\n  publicUrl: https://charts.example.com/\n"));
        assertEquals("https://charts.example.com", c.server().publicUrl().toString());
    }

    @Test
    void anonymousGrantsWithRequiredClientAuthAreAnError() {
        assertEquals(List.of("policy.anonymous: grants access, but server.tls.clientAuth is required, so no anonymous "
                + "client ever gets through (set clientAuth: optional, or remove these grants)"),
                errors(MINIMAL + "policy: { anonymous: { read: [/index.yaml] } }\n"));
    }

    @Test
    void anEmptyFileIsAnError() {
        assertEquals(List.of("the configuration is empty (expected at least server and routes)"), errors("# nothing\n"));
    }
}
