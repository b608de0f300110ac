package io.chartgate.upstream.file;

import io.chartgate.config.FileUpstreamConfig;
import io.chartgate.upstream.BoundedBody;
import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * A read-only directory served by the gateway: GET and HEAD, {@code ETag}/{@code Last-Modified} with
 * conditional GET, single byte ranges, {@code sendFile} (zero-copy where the transport allows; behind TLS
 * Netty copies in chunks), no directory listings, and no way out of
 * {@code dir}, symlinks included. Vert.x Web's StaticHandler is not used because it decodes the path again,
 * and the canonical path must be the only decoding.
 */
public final class FileUpstream implements Upstream {

    private final Vertx vertx;
    private final Path dir;

    public FileUpstream(Vertx vertx, FileUpstreamConfig config) {
        this.vertx = vertx;
        this.dir = config.dir();
    }

    /** What a file lookup found: the real path and its attributes, or null when there is nothing to serve. */
    private record Found(Path path, RandomAccessFile file, long size, Instant modified) {
    }

    @Override
    public Future<Void> forward(UpstreamRequest upstream) {
        HttpServerRequest request = upstream.request();
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return Future.failedFuture(new UpstreamException(UpstreamException.Kind.METHOD_NOT_ALLOWED,
                    "this route serves files read-only; " + request.method() + " is not allowed"));
        }
        // unordered: lookups for different requests need not wait for one another
        return vertx.executeBlocking(() -> find(upstream.path()), false).compose(found -> {
            HttpServerResponse response = request.response();
            if (found == null) {
                response.setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
                return response.end("not found\n");
            }
            return serve(request, found).andThen(ar -> close(found.file()));
        });
    }

    /**
     * An index file read whole for the index step (off the event loop), with the same validators as a plain
     * download; a missing file is the same 404.
     */
    @Override
    public Future<IndexFetch> fetchIndex(IndexFetch.Request fetch) {
        return vertx.executeBlocking(() -> {
            Found found = find(fetch.upstream().path());
            if (found == null) {
                return new IndexFetch.Other(404, "Not Found",
                        MultiMap.caseInsensitiveMultiMap().add(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8"),
                        "not found\n".getBytes(StandardCharsets.UTF_8));
            }
            try (RandomAccessFile file = found.file()) {
                String etag = etag(found);
                if (etag.equals(fetch.etag())) {
                    return new IndexFetch.NotModified();
                }
                if (found.size() > fetch.maxBytes()) {
                    throw BoundedBody.tooLarge(fetch.maxBytes());
                }
                if (!fetch.budget().reserve().test(found.size())) {
                    throw BoundedBody.overloaded();
                }
                byte[] body = new byte[(int) found.size()];
                try {
                    file.readFully(body);
                } catch (IOException e) {
                    fetch.budget().release().accept(found.size());
                    throw e;
                }
                return new IndexFetch.Fresh(body, null, etag, lastModified(found), contentType(found.path().getFileName().toString()));
            }
        }, false);
    }

    @Override
    public Future<Void> probe() {
        return vertx.executeBlocking(() -> {
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException(dir + " is not a directory");
            }
            return null;
        }, false);
    }

    /** Resolves below {@code dir}, following symlinks only where they stay inside it. Runs off the event loop. */
    private Found find(String relative) throws IOException {
        Path root = dir.toRealPath();
        Path candidate = root;
        for (String segment : relative.split("/")) {
            if (!segment.isEmpty()) {
                candidate = candidate.resolve(segment);
            }
        }
        Path real;
        try {
            real = candidate.toRealPath();
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!real.startsWith(root) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS) || !Files.isReadable(real)) {
            return null;
        }
        BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        // opened here, off the event loop, and sent from this handle: the checked file is the one served
        return new Found(real, new RandomAccessFile(real.toFile(), "r"), attributes.size(),
                attributes.lastModifiedTime().toInstant());
    }

    private static Future<Void> serve(HttpServerRequest request, Found found) {
        HttpServerResponse response = request.response();
        String etag = etag(found);
        response.putHeader(HttpHeaders.ETAG, etag)
                .putHeader(HttpHeaders.LAST_MODIFIED, lastModified(found))
                .putHeader(HttpHeaders.ACCEPT_RANGES, "bytes")
                .putHeader(HttpHeaders.CONTENT_TYPE, contentType(found.path().getFileName().toString()));
        if (notModified(request, etag, found.modified())) {
            return response.setStatusCode(304).end();
        }
        long offset = 0;
        long length = found.size();
        String range = request.getHeader("Range");
        String ifRange = request.getHeader("If-Range");
        if (range != null && (ifRange == null || ifRange.equals(etag))) {
            long[] r = parseRange(range, found.size());
            if (r == null) {
                return response.setStatusCode(416).putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + found.size()).end();
            }
            if (r.length == 2) {
                offset = r[0];
                length = r[1] - r[0] + 1;
                response.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE,
                        "bytes " + r[0] + "-" + r[1] + "/" + found.size());
            }
        }
        if (request.method() == HttpMethod.HEAD) {
            return response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length)).end();
        }
        return response.sendFile(found.file(), offset, length);
    }

    private static String etag(Found found) {
        return "\"" + Long.toHexString(found.size()) + "-" + Long.toHexString(found.modified().toEpochMilli()) + "\"";
    }

    private static String lastModified(Found found) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(found.modified(), ZoneOffset.UTC).withNano(0));
    }

    private static boolean notModified(HttpServerRequest request, String etag, Instant modified) {
        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            for (String tag : ifNoneMatch.split(",")) {
                String t = tag.trim();
                if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
                    return true;
                }
            }
            return false;
        }
        String ifModifiedSince = request.getHeader(HttpHeaders.IF_MODIFIED_SINCE);
        if (ifModifiedSince != null) {
            try {
                Instant since = ZonedDateTime.parse(ifModifiedSince, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return modified.getEpochSecond() <= since.getEpochSecond();
            } catch (DateTimeParseException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * One byte range: {@code {first, last}}; an empty array for a header to ignore (several ranges, not
     * bytes); null when unsatisfiable.
     */
    static long[] parseRange(String header, long size) {
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
            return new long[0];
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new long[0];
        }
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            long first;
            long last;
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0) {
                    return null;
                }
                first = Math.max(0, size - suffix);
                last = size - 1;
            } else {
                first = Long.parseLong(a);
                last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            }
            if (first >= size || first > last || first < 0) {
                return null;
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            return new long[0];
        }
    }

    static String contentType(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".yaml") || n.endsWith(".yml")) {
            return "application/x-yaml";
        }
        if (n.endsWith(".tgz") || n.endsWith(".gz")) {
            return "application/gzip";
        }
        if (n.endsWith(".prov")) {
            return "application/pgp-signature";
        }
        if (n.endsWith(".json")) {
            return "application/json";
        }
        if (n.endsWith(".txt")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }

    private static void close(RandomAccessFile file) {
        try {
            file.close();
        } catch (IOException e) {
            // read-only handle: nothing to lose
        }
    }

    @Override
    public void close() {
        // nothing held between requests
    }
}
