package io.chartgate.upstream.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RegistryIndexTest {

    /** A registry as a map of GET paths to answers; every GET is recorded. */
    private final Map<String, RegistryIndex.Small> answers = new HashMap<>();
    private final List<String> asked = new ArrayList<>();
    private final RegistryIndex index = new RegistryIndex(get -> {
        asked.add(get.uri());
        RegistryIndex.Small answer = answers.get(get.uri());
        return Future.succeededFuture(answer != null ? answer : new RegistryIndex.Small(404, null, null, Buffer.buffer("{}")));
    });

    private void answer(String uri, String link, String body) {
        answers.put(uri, new RegistryIndex.Small(200, null, link, Buffer.buffer(body)));
    }

    /** Stores a chart manifest under {@code repository:tag} with the given config JSON; returns the layer digest. */
    private String chart(String repository, String tag, String config, boolean chartManifest) {
        String configDigest = "sha256:" + RegistryIndex.sha256(config.getBytes(StandardCharsets.UTF_8));
        String layer = "sha256:" + RegistryIndex.sha256((repository + tag).getBytes(StandardCharsets.UTF_8));
        JsonObject manifest = new JsonObject().put("schemaVersion", 2)
                .put("config", new JsonObject().put("mediaType", chartManifest ? RegistryIndex.CONFIG_TYPE
                        : "application/vnd.oci.image.config.v1+json").put("digest", configDigest))
                .put("layers", new JsonArray().add(new JsonObject().put("mediaType", RegistryIndex.CHART_TYPE).put("digest", layer)))
                .put("annotations", new JsonObject().put("org.opencontainers.image.created", "2026-11-30T08:00:00Z"));
        answer("/v2/" + repository + "/manifests/" + tag, null, manifest.encode());
        answer("/v2/" + repository + "/blobs/" + configDigest, null, config);
        return layer;
    }

    private IndexFetch fetch(String path, String etag, long maxBytes) throws Exception {
        UpstreamRequest upstream = new UpstreamRequest(null, path, path, null, 0, n -> { });
        IndexFetch.Request request = new IndexFetch.Request(upstream, etag, null, maxBytes,
                new IndexFetch.Budget(bytes -> true, bytes -> { }));
        Future<IndexFetch> future = index.fetch(request);
        return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void listsTheChartsUnderTheNamespaceFromEveryCatalogPage() throws Exception {
        answer("/v2/_catalog?n=1000", "</v2/_catalog?last=charts%2Fa%2Fdemo&n=1000>; rel=\"next\"",
                "{\"repositories\":[\"apps/web\",\"charts/a/demo\"]}");
        answer("/v2/_catalog?last=charts%2Fa%2Fdemo&n=1000", null, "{\"repositories\":[\"charts/b/other\",\"chartsx/y\"]}");
        answer("/v2/charts/a/demo/tags/list?n=1000", null, "{\"tags\":[\"0.1.0\",\"0.2.0_build.7\"]}");
        answer("/v2/charts/b/other/tags/list?n=1000", null, "{\"tags\":[\"1.0.0\",\"image\"]}");
        String layer = chart("charts/a/demo", "0.1.0", "{\"name\":\"demo\",\"version\":\"0.1.0\",\"apiVersion\":\"v2\","
                + "\"x-unknown\":true}", true);
        chart("charts/a/demo", "0.2.0_build.7", "{\"name\":\"demo\",\"version\":\"0.2.0+build.7\",\"apiVersion\":\"v2\"}", true);
        chart("charts/b/other", "1.0.0", "{\"name\":\"other\",\"version\":\"1.0.0\",\"apiVersion\":\"v2\"}", true);
        chart("charts/b/other", "image", "{\"architecture\":\"amd64\"}", false);

        IndexFetch.Fresh fresh = assertInstanceOf(IndexFetch.Fresh.class, fetch("/v2/charts/index.yaml", null, 1 << 20));
        JsonObject entries = new JsonObject(Buffer.buffer(fresh.body())).getJsonObject("entries");
        assertEquals(List.of("demo", "other"), List.copyOf(entries.fieldNames()));
        JsonObject first = entries.getJsonArray("demo").getJsonObject(0);
        assertEquals("0.1.0", first.getString("version"));
        assertEquals(layer.substring(7), first.getString("digest"));
        assertEquals("2026-11-30T08:00:00Z", first.getString("created"));
        assertFalse(first.containsKey("x-unknown"), "only Chart.yaml fields are copied");
        String manifestDigest = "sha256:" + RegistryIndex.sha256(answers.get("/v2/charts/a/demo/manifests/0.1.0").body().getBytes());
        assertEquals(new JsonArray().add("a/demo/_chart/" + manifestDigest + "/demo-0.1.0.tgz"), first.getJsonArray("urls"));
        assertEquals("0.2.0+build.7", entries.getJsonArray("demo").getJsonObject(1).getString("version"));
        assertEquals(1, entries.getJsonArray("other").size(), "an image manifest is no chart");
        assertFalse(asked.contains("/v2/apps/web/tags/list?n=1000"), "outside the namespace");
        assertFalse(asked.contains("/v2/chartsx/y/tags/list?n=1000"), "a prefix is no namespace");
    }

    @Test
    void anUnchangedListingIsNotModifiedAndAKnownManifestsConfigIsNotReadAgain() throws Exception {
        answer("/v2/_catalog?n=1000", null, "{\"repositories\":[\"demo\"]}");
        answer("/v2/demo/tags/list?n=1000", null, "{\"tags\":[\"0.1.0\"]}");
        chart("demo", "0.1.0", "{\"name\":\"demo\",\"version\":\"0.1.0\"}", true);
        IndexFetch.Fresh fresh = assertInstanceOf(IndexFetch.Fresh.class, fetch("/v2/index.yaml", null, 1 << 20));
        asked.clear();
        assertInstanceOf(IndexFetch.NotModified.class, fetch("/v2/index.yaml", fresh.etag(), 1 << 20));
        assertEquals(List.of("/v2/_catalog?n=1000", "/v2/demo/tags/list?n=1000"), asked);

        asked.clear();
        IndexFetch.Fresh again = assertInstanceOf(IndexFetch.Fresh.class, fetch("/v2/index.yaml", null, 1 << 20));
        assertEquals(fresh.etag(), again.etag());
        assertTrue(asked.stream().noneMatch(uri -> uri.contains("/blobs/")), asked::toString);
    }

    @Test
    void anIndexOverMaxIndexBytesAndARegistryWithoutACatalogAreErrors() throws Exception {
        answer("/v2/_catalog?n=1000", null, "{\"repositories\":[\"demo\"]}");
        answer("/v2/demo/tags/list?n=1000", null, "{\"tags\":[\"0.1.0\"]}");
        chart("demo", "0.1.0", "{\"name\":\"demo\",\"version\":\"0.1.0\"}", true);
        Exception tooLarge = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> fetch("/v2/index.yaml", null, 10));
        assertTrue(tooLarge.getCause() instanceof UpstreamException e && e.getMessage().contains("maxIndexBytes"), tooLarge::toString);
        answers.clear();
        Exception noCatalog = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> fetch("/v2/index.yaml", null, 1 << 20));
        assertTrue(noCatalog.getCause().getMessage().contains("_catalog"), noCatalog::toString);
    }

    @Test
    void namesTheNamespaceOfAnIndexPath() {
        assertEquals("", RegistryIndex.namespace("/v2/index.yaml"));
        assertEquals("charts/team-a", RegistryIndex.namespace("/v2/charts/team-a/index.yaml"));
        assertNull(RegistryIndex.layer(new JsonObject(), RegistryIndex.PROV_TYPE));
    }
}
