package io.chartgate.proxy;

import io.chartgate.helm.Provenance;
import io.chartgate.upstream.IndexFetch;
import io.chartgate.upstream.ResponseRelay;
import io.chartgate.upstream.Upstream;
import io.chartgate.upstream.UpstreamException;
import io.chartgate.upstream.UpstreamRequest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;

/**
 * {@code requireProvenance}: an upload through the route is read whole into a temporary file (bounded by
 * {@code maxBodyBytes}, and all such files together by {@link #SPOOL_MAX_BYTES}), checked, and only then sent on
 * from that file; a refused one reaches the upstream not at all.
 *
 * <ul>
 *   <li>A multipart form (ChartMuseum's {@code POST /api/charts}, what {@code helm cm-push} sends): a {@code chart}
 *       field needs a {@code prov} field that verifies and vouches for the chart's bytes; a {@code prov} field
 *       alone must verify.</li>
 *   <li>A {@code .prov} file (PUT or POST): it must verify.</li>
 *   <li>A gzip body (a chart) to a path ending in {@code .tgz}: the {@code .prov} at the same path plus
 *       {@code .prov} must already be on the upstream (put first), verify and vouch for it. A gzip body anywhere
 *       else (ChartMuseum's raw {@code POST /api/charts}) cannot carry its provenance and is refused.</li>
 *   <li>Anything else (an index.yaml, a DELETE) passes.</li>
 * </ul>
 * Refusals are 422 {@code provenance_invalid} naming the reason: unsigned, unknown_key, bad_signature,
 * digest_mismatch or malformed.
 */
final class ProvenanceStep {

    /** What all uploads being checked may hold on the temporary disk at once. */
    static final long SPOOL_MAX_BYTES = 4L << 30;
    private static final AtomicLong SPOOLED = new AtomicLong();

    /** A verdict of the blocking stage: refused, go on, or the chart's digest awaiting its .prov from upstream. */
    private record Verdict(Provenance.Refused refused, byte[] chartSha256, String chartName) {
        static final Verdict PASS = new Verdict(null, null, null);
    }

    private ProvenanceStep() {
    }

    /**
     * Checks and forwards one write; the future fails with an {@link UpstreamException} or a {@link Refusal} for
     * the gateway's own answers.
     */
    static Future<Void> forward(UpstreamRequest forward, Upstream upstream, PGPPublicKeyRingCollection keyring) {
        HttpServerRequest request = forward.request();
        if (!ResponseRelay.hasBody(request)) {
            return upstream.forward(forward);
        }
        long reserved = forward.maxBodyBytes();
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        try {
            reserved = declared == null ? reserved : Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            // the codec refuses a malformed length before this
        }
        long size = reserved;
        if (SPOOLED.addAndGet(size) > SPOOL_MAX_BYTES) {
            SPOOLED.addAndGet(-size);
            return Future.failedFuture(new UpstreamException(UpstreamException.Kind.OVERLOADED,
                    "too many uploads are being checked for provenance at once; try again"));
        }
        Vertx vertx = Vertx.currentContext().owner();
        return vertx.fileSystem().createTempFile("chartgate-prov-", ".body").compose(file -> {
            Path path = Path.of(file);
            Future<Void> checked = vertx.fileSystem().open(file, new OpenOptions().setWrite(true).setTruncateExisting(true))
                    .compose(out -> {
                        if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
                            request.response().writeContinue();
                        }
                        return ResponseRelay.body(forward).pipeTo(out);
                    })
                    .compose(read -> vertx.executeBlocking(() -> judge(forward, path, keyring), false))
                    .compose(verdict -> verdict.chartSha256() == null ? Future.succeededFuture(verdict)
                            : provFromUpstream(vertx, forward, upstream, keyring, verdict))
                    .compose(verdict -> verdict.refused() != null
                            ? Future.failedFuture(new Refusal(verdict.refused()))
                            : upstream.forward(forward.withSpooledBody(path)));
            return checked.eventually(() -> vertx.fileSystem().delete(file).otherwiseEmpty());
        }).eventually(() -> {
            SPOOLED.addAndGet(-size);
            return Future.succeededFuture();
        });
    }

    /** A refused upload: the 422 to answer. */
    static final class Refusal extends Exception {
        final Provenance.Refused refused;

        Refusal(Provenance.Refused refused) {
            super(refused.reason() + ": " + refused.getMessage(), null, false, false);
            this.refused = refused;
        }
    }

    /** Off the event loop: classifies the spooled body and checks what can be checked from it alone. */
    private static Verdict judge(UpstreamRequest forward, Path body, PGPPublicKeyRingCollection keyring) throws IOException {
        String type = forward.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String path = forward.path().toLowerCase(Locale.ROOT);
        try {
            if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
                return multipart(type, body, keyring);
            }
            if (path.endsWith(".prov")) {
                Provenance.verify(read(body), keyring);
                return Verdict.PASS;
            }
            if (!gzip(body)) {
                return Verdict.PASS;
            }
            if (!path.endsWith(".tgz")) {
                throw new Provenance.Refused("unsigned", "a chart uploaded without its provenance: send it as the "
                        + "multipart fields chart and prov (helm cm-push does when the .prov is next to the chart), or "
                        + "PUT the .prov before the .tgz");
            }
            return new Verdict(null, sha256(body), fileName(forward.path()));
        } catch (Provenance.Refused refused) {
            return new Verdict(refused, null, null);
        }
    }

    private static Verdict multipart(String contentType, Path body, PGPPublicKeyRingCollection keyring)
            throws IOException, Provenance.Refused {
        DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.POST, "/");
        head.headers().set(HttpHeaders.CONTENT_TYPE, contentType);
        // parts over 64 KiB go to temporary files, never all in memory
        DefaultHttpDataFactory factory = new DefaultHttpDataFactory(64 << 10);
        HttpPostMultipartRequestDecoder decoder;
        try {
            decoder = new HttpPostMultipartRequestDecoder(factory, head);
        } catch (RuntimeException e) {
            throw new Provenance.Refused("malformed", "the multipart body cannot be read (" + e.getMessage() + ")");
        }
        try (InputStream in = Files.newInputStream(body)) {
            byte[] buffer = new byte[64 << 10];
            int n;
            while ((n = in.read(buffer)) > 0) {
                decoder.offer(new DefaultHttpContent(Unpooled.copiedBuffer(buffer, 0, n)));
            }
            decoder.offer(LastHttpContent.EMPTY_LAST_CONTENT);
            FileUpload chart = null;
            FileUpload prov = null;
            for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
                if (data instanceof FileUpload upload && data.getName().equals("chart")) {
                    chart = upload;
                } else if (data instanceof FileUpload upload && data.getName().equals("prov")) {
                    prov = upload;
                }
            }
            if (chart == null && prov == null) {
                return Verdict.PASS;
            }
            if (prov == null) {
                throw new Provenance.Refused("unsigned", "the chart came without a prov field (sign it with helm "
                        + "package --sign and upload the .prov with it)");
            }
            Provenance.Signed signed = Provenance.verify(prov.get(), keyring);
            if (chart != null) {
                Provenance.checkDigest(signed, chart.getFilename() == null || chart.getFilename().isEmpty()
                        ? null : fileName(chart.getFilename()), sha256(chart));
            }
            return Verdict.PASS;
        } catch (RuntimeException e) {
            throw new Provenance.Refused("malformed", "the multipart body cannot be read (" + e.getMessage() + ")");
        } finally {
            decoder.destroy();
            factory.cleanAllHttpData();
        }
    }

    /** Fetches {@code <chart path>.prov} from the upstream (it was put first) and checks the chart against it. */
    private static Future<Verdict> provFromUpstream(Vertx vertx, UpstreamRequest forward, Upstream upstream,
            PGPPublicKeyRingCollection keyring, Verdict chart) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(forward.headers());
        for (CharSequence name : new CharSequence[] {HttpHeaders.CONTENT_LENGTH, HttpHeaders.CONTENT_TYPE,
                HttpHeaders.TRANSFER_ENCODING, HttpHeaders.EXPECT, "Content-MD5"}) {
            headers.remove(name);
        }
        String target = forward.target();
        int query = target.indexOf('?');
        UpstreamRequest get = new UpstreamRequest(forward.request(), forward.path() + ".prov",
                (query < 0 ? target : target.substring(0, query)) + ".prov", headers, 0, n -> { });
        IndexFetch.Budget unbounded = new IndexFetch.Budget(n -> true, n -> { });
        return upstream.fetchIndex(new IndexFetch.Request(get, null, null, Provenance.MAX_BYTES, unbounded))
                .compose(fetched -> vertx.executeBlocking(() -> {
                    if (!(fetched instanceof IndexFetch.Fresh fresh)) {
                        int status = fetched instanceof IndexFetch.Other other ? other.status() : 0;
                        return new Verdict(new Provenance.Refused("unsigned", "no " + chart.chartName()
                                + ".prov was uploaded before the chart (the upstream answered " + status
                                + " for it): PUT the .prov first"), null, null);
                    }
                    try {
                        Provenance.checkDigest(Provenance.verify(fresh.body(), keyring), chart.chartName(), chart.chartSha256());
                        return Verdict.PASS;
                    } catch (Provenance.Refused refused) {
                        return new Verdict(refused, null, null);
                    }
                }, false));
    }

    private static String fileName(String path) {
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }

    private static byte[] read(Path body) throws IOException, Provenance.Refused {
        if (Files.size(body) > Provenance.MAX_BYTES) {
            throw new Provenance.Refused("malformed", "the provenance file is larger than " + Provenance.MAX_BYTES + " bytes");
        }
        return Files.readAllBytes(body);
    }

    private static boolean gzip(Path body) throws IOException {
        try (InputStream in = Files.newInputStream(body)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    private static byte[] sha256(Path body) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(body)) {
            byte[] buffer = new byte[64 << 10];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return digest.digest();
    }

    private static byte[] sha256(FileUpload upload) throws IOException {
        if (upload.isInMemory()) {
            return sha256().digest(upload.get());
        }
        return sha256(upload.getFile().toPath());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
