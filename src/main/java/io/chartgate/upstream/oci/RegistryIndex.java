package io.chartgate.upstream.oci;

import io.chartgate.metrics.UpstreamFailure;
import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.UpstreamException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Helm repository index made from a registry: the repositories under a namespace (from {@code _catalog}, read
 * with the gateway's own credentials), their tags, and per tag the chart manifest's config blob (the Chart.yaml
 * metadata helm stores as {@code application/vnd.cncf.helm.config.v1+json}) and its chart layer's digest. Each
 * entry's URL is relative to the index, {@code <repository below the namespace>/_chart/<manifest digest>/<name>-<version>.tgz},
 * which the gateway serves from the chart layer; its {@code digest} is the layer's, the SHA-256 of the .tgz.
 * Manifests that are not charts are left out. A chart version held by several repositories is listed for each,
 * in repository name order; each caller's view keeps the first it may pull. The document is JSON, which is YAML to
 * every index reader.
 *
 * <p>The listing (repositories and tags) is the index's validator: a revalidation lists them again and answers
 * "not modified" when they are the same, so only new manifests are read. What a manifest digest holds never
 * changes, so its chart metadata is kept (bounded) across rebuilds; a tag moved to other content under the same
 * listing shows after the next write through the gateway, which drops the cached index.
 */
final class RegistryIndex {

    static final String CONFIG_TYPE = "application/vnd.cncf.helm.config.v1+json";
    static final String CHART_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    static final String PROV_TYPE = "application/vnd.cncf.helm.chart.provenance.v1.prov";
    static final String MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json";
    /** A manifest or config blob larger than this is not a chart's. */
    static final int MAX_SMALL = 1024 * 1024;
    /** Charts whose metadata is kept between rebuilds. */
    private static final int MAX_CHARTS = 8192;
    /** Repositories and tags listed per request. */
    private static final int PAGE = 1000;
    /** Pages followed per listing: a registry that never stops paginating is not followed forever. */
    private static final int MAX_PAGES = 1000;
    private static final Pattern NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");
    /**
     * A chart file the index links (repository, manifest digest, file name); the gateway's OCI grammar has
     * checked the path before it gets here.
     */
    static final Pattern CHART_FILE = Pattern.compile("/v2/(.+)/_chart/(sha256:[a-f0-9]{64})/([^/]+)");
    private static final Pattern INDEX_PATH = Pattern.compile("/v2/(?:(.+)/)?index\\.yaml");
    /** Chart.yaml fields (helm's chart.Metadata); anything else in a config blob is not copied into the index. */
    private static final Set<String> METADATA = Set.of("name", "home", "sources", "version", "description", "keywords",
            "maintainers", "icon", "apiVersion", "condition", "tags", "appVersion", "deprecated", "annotations",
            "kubeVersion", "dependencies", "type");

    /** What a registry answered to one small GET. */
    record Small(int status, String digestHeader, String link, Buffer body) {
    }

    /** One chart manifest, as far as the index needs it. */
    record Chart(JsonObject metadata, String layer, String created) {
    }

    private final Function<SmallGet, Future<Small>> get;
    private final Map<String, Chart> charts = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Chart> eldest) {
            return size() > MAX_CHARTS;
        }
    });

    /** One GET the index needs: path and query, the Accept header (or null), the token scope. */
    record SmallGet(String uri, String accept, String scope) {
    }

    RegistryIndex(Function<SmallGet, Future<Small>> get) {
        this.get = get;
    }

    /** The namespace an index path names ({@code /v2/charts/index.yaml}: {@code charts}), "" for {@code /v2/index.yaml}. */
    static String namespace(String path) {
        Matcher m = INDEX_PATH.matcher(path);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an index path: " + path);
        }
        return m.group(1) == null ? "" : m.group(1);
    }

    Future<IndexFetch> fetch(IndexFetch.Request request) {
        String namespace = namespace(request.upstream().path());
        return repositories(namespace).compose(repositories -> tags(repositories, 0, new TreeMap<>())).compose(listing -> {
            String etag = "\"" + sha256(listing.toString().getBytes(StandardCharsets.UTF_8)) + "\"";
            if (etag.equals(request.etag())) {
                return Future.succeededFuture(new IndexFetch.NotModified());
            }
            List<String[]> versions = new ArrayList<>();
            listing.forEach((repository, tags) -> tags.forEach(tag -> versions.add(new String[] {repository, tag})));
            Map<String, JsonArray> entries = new TreeMap<>();
            return build(versions, 0, namespace, entries).compose(v -> {
                JsonObject index = new JsonObject().put("apiVersion", "v1").put("entries", new JsonObject(new LinkedHashMap<>(entries)));
                byte[] body = index.encodePrettily().getBytes(StandardCharsets.UTF_8);
                if (body.length > request.maxBytes()) {
                    return Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, null,
                            "the index made from the registry would be larger than server.limits.maxIndexBytes ("
                                    + request.maxBytes() + " bytes)"));
                }
                if (!request.budget().reserve().test(body.length)) {
                    return Future.failedFuture(new UpstreamException(UpstreamException.Kind.OVERLOADED,
                            "the gateway is serving too many large index files at once (server.limits.indexCacheBytes); try again"));
                }
                return Future.succeededFuture(new IndexFetch.Fresh(body, null, etag, null, "application/x-yaml"));
            });
        });
    }

    /** The catalog's repositories under {@code namespace}, every page. */
    Future<List<String>> repositories(String namespace) {
        List<String> found = new ArrayList<>();
        return pages("/v2/_catalog?n=" + PAGE, "registry:catalog:*", 0, body -> {
            JsonArray names = body.getJsonArray("repositories", new JsonArray());
            for (Object name : names) {
                if (name instanceof String s && (namespace.isEmpty() || s.startsWith(namespace + "/"))) {
                    found.add(s);
                }
            }
        }, "the registry does not list its repositories (GET /v2/_catalog answered %d); "
                + "an index cannot be made from it").map(v -> found);
    }

    private Future<Map<String, List<String>>> tags(List<String> repositories, int at, Map<String, List<String>> listing) {
        if (at == repositories.size()) {
            return Future.succeededFuture(listing);
        }
        String repository = repositories.get(at);
        List<String> tags = new ArrayList<>();
        return pages("/v2/" + repository + "/tags/list?n=" + PAGE, "repository:" + repository + ":pull", 0, body -> {
            JsonArray names = body.getJsonArray("tags");
            if (names != null) {
                names.forEach(tag -> tags.add(String.valueOf(tag)));
            }
        }, null).compose(v -> {
            if (!tags.isEmpty()) {
                Collections.sort(tags);
                listing.put(repository, tags);
            }
            return tags(repositories, at + 1, listing);
        });
    }

    /** Reads a paginated listing; a 404 is an empty one unless {@code refusal} says what it means. */
    private Future<Void> pages(String uri, String scope, int page, java.util.function.Consumer<JsonObject> each, String refusal) {
        if (page >= MAX_PAGES) {
            return Future.succeededFuture();
        }
        return get.apply(new SmallGet(uri, "application/json", scope)).compose(answer -> {
            if (answer.status() == 404 && refusal == null) {
                return Future.succeededFuture();
            }
            if (answer.status() != 200) {
                String what = refusal != null ? refusal.formatted(answer.status())
                        : "the registry answered " + answer.status() + " to GET " + uri.split("\\?")[0];
                return Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX, what));
            }
            each.accept(json(answer.body(), uri));
            Matcher next = answer.link() == null ? null : NEXT.matcher(answer.link());
            if (next != null && next.find() && next.group(1).startsWith("/v2/")) {
                return pages(next.group(1), scope, page + 1, each, refusal);
            }
            return Future.succeededFuture();
        });
    }

    /** Adds each tag's chart to {@code entries}, one after the other (the registry is not flooded). */
    private Future<Void> build(List<String[]> versions, int at, String namespace, Map<String, JsonArray> entries) {
        if (at == versions.size()) {
            return Future.succeededFuture();
        }
        String repository = versions.get(at)[0];
        String tag = versions.get(at)[1];
        String scope = "repository:" + repository + ":pull";
        return get.apply(new SmallGet("/v2/" + repository + "/manifests/" + tag, MANIFEST_ACCEPT, scope))
                .compose(manifest -> {
                    if (manifest.status() == 404) {
                        return Future.succeededFuture((String[]) null); // untagged meanwhile
                    }
                    if (manifest.status() != 200) {
                        return Future.failedFuture(new UpstreamException(UpstreamException.Kind.UNAVAILABLE, UpstreamFailure.STATUS_5XX,
                                "the registry answered " + manifest.status() + " to a manifest GET of " + repository));
                    }
                    String digest = "sha256:" + sha256(manifest.body().getBytes());
                    return chart(repository, digest, manifest.body()).map(chart -> {
                        if (chart != null) {
                            add(entries, namespace, repository, digest, chart);
                        }
                        return (String[]) null;
                    });
                })
                .compose(v -> build(versions, at + 1, namespace, entries));
    }

    /** The chart a manifest describes (its config read once per digest), or null when it is not a chart. */
    private Future<Chart> chart(String repository, String digest, Buffer body) {
        Chart known = charts.get(digest);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        JsonObject manifest = json(body, "a manifest");
        JsonObject config = manifest.getJsonObject("config");
        if (config == null || !CONFIG_TYPE.equals(config.getString("mediaType"))) {
            return Future.succeededFuture();
        }
        String layer = layer(manifest, CHART_TYPE);
        if (layer == null || !layer.startsWith("sha256:")) {
            return Future.succeededFuture();
        }
        JsonObject annotations = manifest.getJsonObject("annotations", new JsonObject());
        String created = annotations.getString("org.opencontainers.image.created");
        return get.apply(new SmallGet("/v2/" + repository + "/blobs/" + config.getString("digest"), null,
                "repository:" + repository + ":pull")).compose(blob -> {
                    if (blob.status() != 200) {
                        return Future.succeededFuture();
                    }
                    JsonObject metadata = new JsonObject();
                    json(blob.body(), "a chart config").forEach(field -> {
                        if (METADATA.contains(field.getKey()) && field.getValue() != null) {
                            metadata.put(field.getKey(), field.getValue());
                        }
                    });
                    if (!(metadata.getValue("name") instanceof String) || !(metadata.getValue("version") instanceof String)) {
                        return Future.succeededFuture();
                    }
                    Chart chart = new Chart(metadata, layer, created);
                    charts.put(digest, chart);
                    return Future.succeededFuture(chart);
                });
    }

    /** The digest of the manifest's first layer of {@code mediaType}, or null. */
    static String layer(JsonObject manifest, String mediaType) {
        for (Object layer : manifest.getJsonArray("layers", new JsonArray())) {
            if (layer instanceof JsonObject l && mediaType.equals(l.getString("mediaType"))) {
                return l.getString("digest");
            }
        }
        return null;
    }

    private static void add(Map<String, JsonArray> entries, String namespace, String repository, String digest,
            Chart chart) {
        String name = chart.metadata().getString("name");
        String version = chart.metadata().getString("version");
        String below = namespace.isEmpty() ? repository : repository.substring(namespace.length() + 1);
        String file = (name + "-" + version).replaceAll("[^A-Za-z0-9._+-]", "_") + ".tgz";
        JsonObject entry = chart.metadata().copy()
                .put("urls", new JsonArray().add(below + "/_chart/" + digest + "/" + file))
                .put("digest", chart.layer().substring("sha256:".length()));
        if (chart.created() != null) {
            entry.put("created", chart.created());
        }
        entries.computeIfAbsent(name, n -> new JsonArray()).add(entry);
    }

    private static JsonObject json(Buffer body, String what) {
        try {
            return new JsonObject(body);
        } catch (RuntimeException e) {
            throw new UpstreamException(UpstreamException.Kind.UNAVAILABLE, "the registry's answer for " + what
                    + " is not JSON");
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
