package io.chartgate.tls;

import io.chartgate.config.ClientAuth;
import io.chartgate.config.TlsConfig;
import io.chartgate.config.TlsEngine;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrustOptions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;

/**
 * The only place that builds Vert.x SSL options: the server key and chain, the trusted client CAs (whose
 * names the CertificateRequest advertises, so Go clients such as helm offer their certificate), CRLs
 * checked during PKIX validation, the protocols, and AEAD-only cipher suites.
 */
public final class SslOptionsMapper {

    /** AEAD suites only: TLS 1.3's, then TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305. */
    static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private SslOptionsMapper() {
    }

    /**
     * The process's engine ({@link TlsEngines}): netty-tcnative's (BoringSSL or OpenSSL, either sends the alert that
     * matches each refusal) or the JDK's.
     */
    static SSLEngineOptions engine() {
        return isNative() ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    }

    private static boolean isNative() {
        return TlsEngines.current().inUse() != TlsEngine.JDK;
    }

    /** HTTP server options carrying {@code ssl}: the server's other settings are the caller's. */
    public static HttpServerOptions httpServerOptions(ServerSSLOptions ssl) {
        HttpServerOptions options = new HttpServerOptions()
                .setSsl(true)
                .setSslEngineOptions(engine())
                .setKeyCertOptions(ssl.getKeyCertOptions())
                .setTrustOptions(ssl.getTrustOptions())
                .setClientAuth(ssl.getClientAuth())
                .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
        ssl.getEnabledCipherSuites().forEach(options::addEnabledCipherSuite);
        return options;
    }

    /**
     * @param trust judges client certificates under the trust in force when each handshake happens
     */
    public static ServerSSLOptions serverOptions(TlsConfig config, TlsMaterial material, TrustSwitch trust) {
        // first, before anything touches Netty's OpenSsl: the engine's library must be loaded before it looks
        TlsEngines.select(config.engine());
        ServerSSLOptions options = new ServerSSLOptions()
                .setKeyCertOptions(keyCert(material))
                .setTrustOptions(TrustOptions.wrap(trust))
                .setClientAuth(config.clientAuth() == ClientAuth.REQUIRED
                        ? io.vertx.core.http.ClientAuth.REQUIRED : io.vertx.core.http.ClientAuth.REQUEST)
                .setEnabledSecureTransportProtocols(new LinkedHashSet<>(config.protocols()));
        CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
        return options;
    }

    private static KeyCertOptions keyCert(TlsMaterial material) {
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", material.serverKey(), password, material.serverChain().toArray(new X509Certificate[0]));
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            // With netty-tcnative, Netty converts a plain factory's key and chain to native form on every handshake;
            // this wrapper lets it convert them once (a reload builds a new factory, so nothing goes stale).
            return KeyCertOptions.wrap(isNative()
                    ? new OpenSslCachingX509KeyManagerFactory(factory) : factory);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build the server key manager", e);
        }
    }
}
