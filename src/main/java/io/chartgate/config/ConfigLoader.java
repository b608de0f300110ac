package io.chartgate.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a YAML configuration into {@link GatewayConfig}: {@code ${ENV}} expansion, relative paths resolved
 * against the file's directory, and validation of the whole schema. It collects every error with its key
 * path and throws them together; start-up, reload and {@code config check} all come through here.
 * It checks shape and values only; loading the files the configuration names is {@code tls}'s job.
 */
public final class ConfigLoader {

    private static final Pattern ROUTE_NAME = Pattern.compile("[a-z0-9]([a-z0-9_-]{0,62})");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Map<String, String> env;

    /** @param env the environment {@code ${NAME}} and the AWS credential variables are read from */
    public ConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public GatewayConfig load(Path file) throws ConfigException {
        Path absolute = file.toAbsolutePath().normalize();
        String text;
        try {
            text = Files.readString(absolute);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", file + ": file not found");
        } catch (IOException e) {
            throw new ConfigException("", file + ": cannot be read (" + e.getMessage() + ")");
        }
        return parse(text, absolute);
    }

    /** Parses configuration text; {@code source}'s directory anchors relative paths (null: working directory). */
    public GatewayConfig parse(String yaml, Path source) throws ConfigException {
        JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": ";
            throw new ConfigException("", (source == null ? "" : source.getFileName() + ": ") + where + e.getOriginalMessage());
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new ConfigException("", "the configuration is empty (expected at least server and routes)");
        }
        List<ConfigError> errors = new ArrayList<>();
        new EnvExpander(env).expand(tree, "", errors);
        Path baseDir = source == null ? Path.of("").toAbsolutePath() : source.getParent();
        ConfigNode root = ConfigNode.root(tree, errors, baseDir);
        if (!root.isMapping()) {
            throw new ConfigException(errors);
        }
        root.allowOnly("server", "admin", "routes", "policy", "metrics", "reload");
        GatewayConfig config = new GatewayConfig(
                source,
                server(root.get("server")),
                admin(root.get("admin")),
                routes(root.get("routes")),
                policy(root.get("policy")),
                new MetricsConfig(root.get("metrics").isMapping()
                        ? checked(root.get("metrics"), "maxPrincipals").integer(MetricsConfig.DEFAULTS.maxPrincipals(), 1, 100_000)
                        : MetricsConfig.DEFAULTS.maxPrincipals()),
                new ReloadConfig(root.get("reload").isMapping()
                        ? checked(root.get("reload"), "watchIntervalSeconds").integer(ReloadConfig.DEFAULTS.watchIntervalSeconds(), 1, 3600)
                        : ReloadConfig.DEFAULTS.watchIntervalSeconds()));
        checkAnonymous(config, root);
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return config;
    }

    /** The single key a one-key section may hold, after rejecting any other. */
    private static ConfigNode checked(ConfigNode section, String key) {
        section.allowOnly(key);
        return section.get(key);
    }

    private ServerConfig server(ConfigNode n) {
        if (!n.isMapping()) {
            if (n.isMissing()) {
                n.error("required (expected a mapping with at least tls)");
            }
            return null;
        }
        n.allowOnly("host", "port", "publicUrl", "tls", "limits", "forwardClientCert", "trustedProxies", "shutdownGraceSeconds",
                "eventLoops");
        String host = n.get("host").string("0.0.0.0");
        int port = n.get("port").integer(8443, 0, 65535);
        URI publicUrl = n.get("publicUrl").url(false, "https", "http");
        if (publicUrl != null && publicUrl.getRawPath() != null && publicUrl.getRawPath().endsWith("/")) {
            String p = publicUrl.toString();
            publicUrl = URI.create(p.substring(0, p.length() - 1));
        }
        List<Cidr> proxies = new ArrayList<>();
        for (ConfigNode item : n.get("trustedProxies").list(false)) {
            String s = item.string(null);
            if (s != null) {
                try {
                    proxies.add(Cidr.parse(s.trim()));
                } catch (IllegalArgumentException e) {
                    item.error("\"" + s + "\" is not a CIDR: " + e.getMessage() + " (expected e.g. 10.0.0.0/8)");
                }
            }
        }
        return new ServerConfig(host, port, publicUrl, tls(n.get("tls")), limits(n.get("limits")),
                n.get("forwardClientCert").enumValue(ForwardClientCert.class, ForwardClientCert.XFCC), proxies,
                n.get("shutdownGraceSeconds").integer(30, 0, 3600),
                n.get("eventLoops").integer(ServerConfig.defaultEventLoops(), 1, 1024));
    }

    private TlsConfig tls(ConfigNode n) {
        if (!n.isMapping()) {
            if (n.isMissing()) {
                n.error("required (expected certFile, keyFile and clientCaFile)");
            }
            return null;
        }
        n.allowOnly("certFile", "keyFile", "keyPassword", "keyStoreFile", "keyStorePassword", "clientCaFile",
                "intermediateCaFile", "clientAuth", "crlFetch", "crlFetchIntervalSeconds", "crlCacheDir", "crlFiles", "crlStale", "protocols",
                "engine");
        boolean keyStore = !n.get("keyStoreFile").isMissing();
        Path certFile = null;
        Path keyFile = null;
        Path keyStoreFile = null;
        if (keyStore) {
            keyStoreFile = n.get("keyStoreFile").file(true, "a PKCS#12 file");
            for (String pemKey : List.of("certFile", "keyFile", "keyPassword")) {
                if (!n.get(pemKey).isMissing()) {
                    n.get(pemKey).error("cannot be combined with keyStoreFile (expected either certFile + keyFile or keyStoreFile)");
                }
            }
        } else {
            certFile = n.get("certFile").file(true, "a PEM certificate chain, or keyStoreFile");
            keyFile = n.get("keyFile").file(true, "a PEM private key, or keyStoreFile");
            if (!n.get("keyStorePassword").isMissing()) {
                n.get("keyStorePassword").error("only applies with keyStoreFile");
            }
        }
        List<Path> crls = new ArrayList<>();
        for (ConfigNode item : n.get("crlFiles").list(false)) {
            Path p = item.file(true, "a CRL file");
            if (p != null) {
                crls.add(p);
            }
        }
        List<String> protocols = new ArrayList<>();
        ConfigNode protocolsNode = n.get("protocols");
        for (ConfigNode item : protocolsNode.list(false)) {
            String p = item.string(null);
            if (p != null && !TlsConfig.SUPPORTED_PROTOCOLS.contains(p)) {
                item.error("unknown value \"" + p + "\" (expected " + String.join(", ", TlsConfig.SUPPORTED_PROTOCOLS) + ")");
            } else if (p != null && !protocols.contains(p)) {
                protocols.add(p);
            }
        }
        if (protocolsNode.isMissing()) {
            protocols.addAll(TlsConfig.SUPPORTED_PROTOCOLS);
        } else if (protocols.isEmpty()) {
            protocolsNode.error("must name at least one protocol (expected " + String.join(", ", TlsConfig.SUPPORTED_PROTOCOLS) + ")");
        }
        return new TlsConfig(certFile, keyFile, n.get("keyPassword").secret(), keyStoreFile,
                n.get("keyStorePassword").secret(),
                n.get("clientCaFile").file(true, "a PEM bundle of the CAs that sign client certificates"),
                n.get("intermediateCaFile").file(false, "a PEM bundle of intermediate CAs"),
                n.get("clientAuth").enumValue(ClientAuth.class, ClientAuth.REQUIRED), crls,
                n.get("crlStale").enumValue(CrlStale.class, CrlStale.REJECT), protocols, crlFetch(n),
                n.get("engine").enumValue(TlsEngine.class, TlsEngine.DEFAULT));
    }

    private static TlsConfig.CrlFetch crlFetch(ConfigNode n) {
        boolean enabled = n.get("crlFetch").bool(false);
        int interval = n.get("crlFetchIntervalSeconds").integer(3600, 1, 7 * 86_400);
        Path cacheDir = n.get("crlCacheDir").file(false, "a writable directory for fetched CRLs");
        if (!enabled) {
            for (String key : List.of("crlFetchIntervalSeconds", "crlCacheDir")) {
                if (!n.get(key).isMissing()) {
                    n.get(key).error("only applies with crlFetch: true");
                }
            }
            return TlsConfig.CrlFetch.OFF;
        }
        if (cacheDir == null) {
            cacheDir = Path.of(System.getProperty("java.io.tmpdir"), "chartgate-crls");
        }
        return new TlsConfig.CrlFetch(true, interval, cacheDir);
    }

    private static Limits limits(ConfigNode n) {
        if (!n.isMapping()) {
            return Limits.DEFAULTS;
        }
        n.allowOnly("maxBodyBytes", "idleTimeoutSeconds", "maxHeaderBytes", "maxIndexBytes", "indexCacheBytes",
                "indexRevalidateMillis");
        Limits limits = new Limits(
                n.get("maxBodyBytes").size(Limits.DEFAULTS.maxBodyBytes(), 1, Long.MAX_VALUE),
                n.get("idleTimeoutSeconds").integer(Limits.DEFAULTS.idleTimeoutSeconds(), 1, 86_400),
                (int) n.get("maxHeaderBytes").size(Limits.DEFAULTS.maxHeaderBytes(), 1, 1L << 20),
                n.get("maxIndexBytes").size(Limits.DEFAULTS.maxIndexBytes(), 1, 1L << 31),
                n.get("indexCacheBytes").size(Limits.DEFAULTS.indexCacheBytes(), 0, Long.MAX_VALUE),
                n.get("indexRevalidateMillis").integer(Limits.DEFAULTS.indexRevalidateMillis(), 0, 3_600_000));
        if (limits.indexCacheBytes() < 3 * limits.maxIndexBytes()) {
            // the index step holds an index (with the places located in it, up to a third more) and its rewritten
            // copy at once: a smaller bound could never keep an index of the largest size it accepts
            n.get(n.get("indexCacheBytes").isMissing() ? "maxIndexBytes" : "indexCacheBytes").error("indexCacheBytes ("
                    + limits.indexCacheBytes() + ") cannot hold an index of maxIndexBytes (" + limits.maxIndexBytes()
                    + ") with its rewritten copy (expected indexCacheBytes at least three times maxIndexBytes)");
        }
        return limits;
    }

    private static AdminConfig admin(ConfigNode n) {
        if (!n.isMapping()) {
            return AdminConfig.DEFAULTS;
        }
        n.allowOnly("host", "port");
        return new AdminConfig(n.get("host").string(AdminConfig.DEFAULTS.host()),
                n.get("port").integer(AdminConfig.DEFAULTS.port(), 0, 65535));
    }

    private List<RouteConfig> routes(ConfigNode n) {
        List<RouteConfig> routes = new ArrayList<>();
        List<ConfigNode> items = n.list(true);
        if (!n.isMissing() && items.isEmpty() && n.path().equals("routes")) {
            n.error("must hold at least one route");
        }
        Map<String, String> names = new HashMap<>();
        Map<String, String> prefixes = new HashMap<>();
        for (ConfigNode item : items) {
            if (!item.isMapping()) {
                if (item.isMissing()) {
                    item.error("expected a route (name, prefix, upstream)");
                }
                continue;
            }
            item.allowOnly("name", "prefix", "upstream");
            ConfigNode nameNode = item.get("name");
            String name = nameNode.requiredString("a route name such as museum");
            if (name != null && !ROUTE_NAME.matcher(name).matches()) {
                nameNode.error("\"" + name + "\" is not a valid name (expected lower-case letters, digits, - and _; it becomes a metric label)");
            } else if (name != null && names.putIfAbsent(name, nameNode.path()) != null) {
                nameNode.error("duplicate route name \"" + name + "\" (also at " + names.get(name) + ")");
            }
            ConfigNode prefixNode = item.get("prefix");
            String prefix = prefixNode.requiredString("a path prefix such as / or /s3");
            if (prefix != null) {
                prefix = normalizePrefix(prefix, prefixNode);
                if (prefix != null && prefixes.putIfAbsent(prefix, prefixNode.path()) != null) {
                    prefixNode.error("duplicate route prefix \"" + prefix + "\" (also at " + prefixes.get(prefix) + ")");
                }
            }
            UpstreamConfig upstream = upstream(item.get("upstream"));
            if (upstream instanceof OciUpstreamConfig && prefix != null && !prefix.equals("/v2") && !prefix.startsWith("/v2/")) {
                prefixNode.error("\"" + prefix + "\" is not under /v2 (expected /v2 or /v2/<namespace>: an oci route "
                        + "receives the registry API's paths unchanged)");
            }
            routes.add(new RouteConfig(name, prefix, upstream));
        }
        return routes;
    }

    private static String normalizePrefix(String prefix, ConfigNode node) {
        if (!prefix.startsWith("/")) {
            node.error("\"" + prefix + "\" must start with / (expected a path prefix such as / or /s3)");
            return null;
        }
        String p = prefix.replaceAll("/{2,}", "/");
        if (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        for (String segment : p.split("/")) {
            if (segment.equals(".") || segment.equals("..") || segment.contains("%") || segment.contains("\\")
                    || segment.contains("*") || segment.contains("?") || segment.contains("#")) {
                node.error("\"" + prefix + "\" is not a plain path (expected segments without ., .., %, \\, *, ? or #)");
                return null;
            }
        }
        return p;
    }

    private UpstreamConfig upstream(ConfigNode n) {
        if (!n.isMapping()) {
            if (n.isMissing()) {
                n.error("required (expected a mapping with type: http, s3, file or oci)");
            }
            return null;
        }
        ConfigNode typeNode = n.get("type");
        String type = typeNode.requiredString("http, s3, file or oci");
        if (type == null) {
            return null;
        }
        switch (type) {
            case "http":
                return http(n);
            case "s3":
                return s3(n);
            case "oci":
                return oci(n);
            case "file":
                n.allowOnly("type", "dir", "rewriteIndexUrls", "indexUrlPrefixes", "filterIndex");
                Path dir = n.get("dir").file(true, "the directory holding index.yaml and the charts");
                IndexOptions index = index(n);
                return dir == null ? null : new FileUpstreamConfig(dir, index);
            default:
                typeNode.error("unknown value \"" + type + "\" (expected http, s3, file, oci)");
                return null;
        }
    }

    private HttpUpstreamConfig http(ConfigNode n) {
        n.allowOnly("type", "url", "auth", "caFile", "connectTimeoutMs", "responseTimeoutMs", "rewriteIndexUrls",
                "indexUrlPrefixes", "filterIndex", "requireProvenance");
        URI url = n.get("url").url(true, "http", "https");
        Path caFile = n.get("caFile").file(false, "a PEM bundle");
        if (caFile != null && url != null && !url.getScheme().equalsIgnoreCase("https")) {
            n.get("caFile").error("only applies to an https:// url");
        }
        return new HttpUpstreamConfig(url, auth(n.get("auth")), caFile,
                n.get("connectTimeoutMs").integer(2000, 1, 600_000),
                n.get("responseTimeoutMs").integer(30_000, 1, 3_600_000),
                index(n), provenance(n));
    }

    /** An OCI registry: an origin (the request path reaches it unchanged), basic credentials only. */
    private OciUpstreamConfig oci(ConfigNode n) {
        n.allowOnly("type", "url", "auth", "caFile", "connectTimeoutMs", "responseTimeoutMs");
        URI url = n.get("url").url(true, "http", "https");
        if (url != null && url.getRawPath() != null && !url.getRawPath().isEmpty() && !url.getRawPath().equals("/")) {
            n.get("url").error("\"" + url + "\" has a path (expected the registry's origin such as http://registry:5000; "
                    + "requests keep their /v2/... path)");
            url = null;
        }
        if (url != null && url.getRawPath() != null && url.getRawPath().equals("/")) {
            String s = url.toString();
            url = URI.create(s.substring(0, s.length() - 1));
        }
        Path caFile = n.get("caFile").file(false, "a PEM bundle");
        if (caFile != null && url != null && !url.getScheme().equalsIgnoreCase("https")) {
            n.get("caFile").error("only applies to an https:// url");
        }
        ConfigNode authNode = n.get("auth");
        UpstreamAuth.Basic basic = null;
        if (authNode.isMapping() && authNode.fieldNames().contains("bearer")) {
            authNode.get("bearer").error("not for an oci upstream (expected basic: the gateway asks the registry's "
                    + "token realm for bearer tokens itself)");
        } else {
            UpstreamAuth auth = auth(authNode);
            basic = auth instanceof UpstreamAuth.Basic b ? b : null;
        }
        int connect = n.get("connectTimeoutMs").integer(2000, 1, 600_000);
        int response = n.get("responseTimeoutMs").integer(30_000, 1, 3_600_000);
        return url == null ? null : new OciUpstreamConfig(url, basic, caFile, connect, response);
    }

    /** {@code requireProvenance: { keyring: FILE }}: the keyring file, or null when absent. */
    private static Path provenance(ConfigNode n) {
        ConfigNode node = n.get("requireProvenance");
        if (node.isMissing()) {
            return null;
        }
        if (!node.isMapping()) {
            node.error("expected a mapping such as { keyring: keys/pubring.gpg }");
            return null;
        }
        node.allowOnly("keyring");
        return node.get("keyring").file(true, "an OpenPGP public keyring (binary or ASCII-armored)");
    }

    private static IndexOptions index(ConfigNode n) {
        return new IndexOptions(n.get("rewriteIndexUrls").bool(IndexOptions.DEFAULTS.rewriteUrls()),
                urlPrefixes(n.get("indexUrlPrefixes")), n.get("filterIndex").bool(IndexOptions.DEFAULTS.filter()));
    }

    private static UpstreamAuth auth(ConfigNode n) {
        if (!n.isMapping()) {
            return null;
        }
        n.allowOnly("basic", "bearer");
        List<String> kinds = n.fieldNames();
        if (kinds.size() != 1) {
            n.error("expected exactly one of basic or bearer");
            return null;
        }
        if (kinds.contains("bearer")) {
            Secret token = n.get("bearer").secret();
            if (token == null || token.reveal().isBlank()) {
                n.get("bearer").error("must not be empty (expected a token)");
                return null;
            }
            return new UpstreamAuth.Bearer(token);
        }
        if (kinds.contains("basic")) {
            ConfigNode basic = n.get("basic");
            if (!basic.isMapping()) {
                basic.error("expected a mapping with username and password");
                return null;
            }
            basic.allowOnly("username", "password");
            String user = basic.get("username").requiredString("the upstream user name");
            Secret password = basic.get("password").secret();
            if (password == null) {
                basic.get("password").error("required (expected the upstream password, e.g. ${CM_PASSWORD})");
            }
            if (user != null && user.contains(":")) {
                basic.get("username").error("must not contain ':'");
            }
            return user == null || password == null ? null : new UpstreamAuth.Basic(user, password);
        }
        return null;
    }

    private S3UpstreamConfig s3(ConfigNode n) {
        n.allowOnly("type", "endpoint", "bucket", "region", "pathStyle", "keyPrefix", "accessKeyId", "secretAccessKey",
                "sessionToken", "connectTimeoutMs", "responseTimeoutMs", "rewriteIndexUrls", "indexUrlPrefixes", "payloadSigning", "spoolMaxBytes",
                "filterIndex", "requireProvenance");
        String region = n.get("region").string("us-east-1");
        if (region.isBlank() || !region.matches("[a-z0-9-]+")) {
            n.get("region").error("\"" + region + "\" is not a region (expected e.g. us-east-1)");
        }
        URI endpoint = n.get("endpoint").url(false, "http", "https");
        if (endpoint == null && n.get("endpoint").isMissing()) {
            endpoint = URI.create("https://s3." + region + ".amazonaws.com");
        }
        ConfigNode bucketNode = n.get("bucket");
        String bucket = bucketNode.requiredString("a bucket name");
        if (bucket != null && !BUCKET.matcher(bucket).matches()) {
            bucketNode.error("\"" + bucket + "\" is not a valid bucket name (expected 3-63 lower-case letters, digits, '.' and '-')");
        }
        String keyPrefix = n.get("keyPrefix").string("");
        if (keyPrefix.startsWith("/")) {
            n.get("keyPrefix").error("must not start with / (expected e.g. charts/)");
        }
        if (!keyPrefix.isEmpty() && !keyPrefix.endsWith("/")) {
            keyPrefix = keyPrefix + "/";
        }
        Secret accessKeyId = n.get("accessKeyId").secret();
        Secret secretAccessKey = n.get("secretAccessKey").secret();
        Secret sessionToken = n.get("sessionToken").secret();
        if (accessKeyId == null && secretAccessKey == null) {
            String id = env.get("AWS_ACCESS_KEY_ID");
            String secret = env.get("AWS_SECRET_ACCESS_KEY");
            if (id == null || secret == null) {
                n.error("no credentials (expected accessKeyId and secretAccessKey, or the environment variables "
                        + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
            } else {
                accessKeyId = new Secret(id);
                secretAccessKey = new Secret(secret);
                String token = env.get("AWS_SESSION_TOKEN");
                sessionToken = sessionToken != null || token == null ? sessionToken : new Secret(token);
            }
        } else if (accessKeyId == null) {
            n.get("accessKeyId").error("required with secretAccessKey");
        } else if (secretAccessKey == null) {
            n.get("secretAccessKey").error("required with accessKeyId");
        }
        return new S3UpstreamConfig(endpoint, bucket, region, n.get("pathStyle").bool(false), keyPrefix,
                accessKeyId, secretAccessKey, sessionToken,
                n.get("connectTimeoutMs").integer(2000, 1, 600_000),
                n.get("responseTimeoutMs").integer(30_000, 1, 3_600_000),
                index(n),
                n.get("payloadSigning").enumValue(PayloadSigning.class, PayloadSigning.UNSIGNED),
                n.get("spoolMaxBytes").size(S3UpstreamConfig.DEFAULT_SPOOL_MAX_BYTES, 1, Long.MAX_VALUE), provenance(n));
    }

    private static List<String> urlPrefixes(ConfigNode n) {
        List<String> prefixes = new ArrayList<>();
        for (ConfigNode item : n.list(false)) {
            String s = item.string(null);
            if (s == null) {
                continue;
            }
            String lower = s.toLowerCase(Locale.ROOT);
            if (!(lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("s3://"))) {
                item.error("\"" + s + "\" (expected an absolute http://, https:// or s3:// URL prefix)");
            } else {
                prefixes.add(s);
            }
        }
        return prefixes;
    }

    private static PolicyConfig policy(ConfigNode n) {
        if (!n.isMapping()) {
            return PolicyConfig.EMPTY;
        }
        n.allowOnly("rules", "anonymous");
        List<RuleConfig> rules = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (ConfigNode item : n.get("rules").list(false)) {
            if (!item.isMapping()) {
                if (item.isMissing()) {
                    item.error("expected a rule (name, match, read, write)");
                }
                continue;
            }
            item.allowOnly("name", "match", "read", "write");
            ConfigNode nameNode = item.get("name");
            String name = nameNode.requiredString("a rule name such as developers");
            if (name != null && names.putIfAbsent(name, nameNode.path()) != null) {
                nameNode.error("duplicate rule name \"" + name + "\" (also at " + names.get(name) + ")");
            }
            Map<MatchKey, String> match = new EnumMap<>(MatchKey.class);
            ConfigNode matchNode = item.get("match");
            if (matchNode.isMapping()) {
                for (String key : matchNode.fieldNames()) {
                    MatchKey k = MatchKey.fromYaml(key);
                    ConfigNode valueNode = matchNode.get(key);
                    if (k == null) {
                        String hint = Suggestions.closest(key, MatchKey.yamlNames())
                                .map(s -> "did you mean \"" + s + "\"?")
                                .orElse("expected one of " + String.join(", ", MatchKey.yamlNames()));
                        valueNode.error("unknown key (" + hint + ")");
                        continue;
                    }
                    String value = valueNode.requiredString("a value to match, exact or with * as a glob");
                    if (value != null) {
                        match.put(k, value);
                    }
                }
                if (matchNode.fieldNames().isEmpty()) {
                    matchNode.error("must not be empty (a rule for every certificate says so: cn: \"*\")");
                }
            } else if (matchNode.isMissing()) {
                matchNode.error("required (expected e.g. { ou: engineering })");
            }
            PolicyConfig.Grants grants = grants(item);
            if (grants.read().isEmpty() && grants.write().isEmpty() && item.get("read").isMissing()
                    && item.get("write").isMissing()) {
                item.error("grants nothing (expected read or write path globs)");
            }
            rules.add(new RuleConfig(name, match, grants));
        }
        ConfigNode anonymous = n.get("anonymous");
        PolicyConfig.Grants anon = PolicyConfig.Grants.NONE;
        if (anonymous.isMapping()) {
            anonymous.allowOnly("read", "write");
            anon = grants(anonymous);
        }
        return new PolicyConfig(rules, anon);
    }

    /** Anonymous grants only mean something with {@code clientAuth: optional}; elsewhere they are a mistake. */
    private static void checkAnonymous(GatewayConfig config, ConfigNode root) {
        if (config.server() != null && config.server().tls() != null
                && config.server().tls().clientAuth() == ClientAuth.REQUIRED
                && (!config.policy().anonymous().read().isEmpty() || !config.policy().anonymous().write().isEmpty())) {
            root.get("policy").get("anonymous").error("grants access, but server.tls.clientAuth is required, so no "
                    + "anonymous client ever gets through (set clientAuth: optional, or remove these grants)");
        }
    }

    private static PolicyConfig.Grants grants(ConfigNode n) {
        return new PolicyConfig.Grants(globs(n.get("read")), globs(n.get("write")));
    }

    private static List<String> globs(ConfigNode n) {
        List<String> globs = new ArrayList<>();
        for (ConfigNode item : n.list(false)) {
            String g = item.string(null);
            if (g == null) {
                continue;
            }
            if (!g.startsWith("/")) {
                item.error("\"" + g + "\" must start with / (expected a path glob such as /charts/**)");
            } else if (List.of(g.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
                item.error("\"" + g + "\" must not hold . or .. segments (paths are canonical before they are matched)");
            } else {
                globs.add(g);
            }
        }
        return globs;
    }
}
