package io.chartgate.testing;

import io.chartgate.tls.PemLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** TLS clients for tests: an {@link SSLContext} from PEM files, a java.net.http client, and raw sockets. */
public final class TlsClients {

    private TlsClients() {
    }

    /** A context that presents {@code client} (or nothing when null) and trusts {@code caFile}. */
    public static SSLContext context(TestPki.Issued client, Path caFile) {
        return client == null ? context(null, null, caFile) : context(client.certFile(), client.keyFile(), caFile);
    }

    /**
     * A context that presents every certificate of {@code certFile} (the client's first, then any intermediates,
     * as helm's {@code --cert-file} does) with {@code keyFile}, or nothing when {@code certFile} is null.
     */
    public static SSLContext context(Path certFile, Path keyFile, Path caFile) {
        try {
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", PemLoader.privateKey(keyFile, null), new char[0],
                        PemLoader.certificates(certFile).toArray(new X509Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (X509Certificate ca : PemLoader.certificates(caFile)) {
                trust.setCertificateEntry("ca" + i++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cannot build a client TLS context", e);
        }
    }

    public static HttpClient http(SSLContext context) {
        return HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * Sends {@code raw} bytes as they are over TLS and returns everything the server sent until it closed the
     * connection or went quiet for a second.
     */
    public static String raw(SSLContext context, int port, String raw) throws IOException {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("localhost", port), 5000);
            socket.setSoTimeout(1000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                // the server kept the connection open: what it sent so far is the answer
            } catch (IOException e) {
                // reset after the response: the answer is what arrived
            }
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
