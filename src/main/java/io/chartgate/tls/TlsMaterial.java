package io.chartgate.tls;

import io.chartgate.config.ConfigError;
import io.chartgate.config.ConfigException;
import io.chartgate.config.TlsConfig;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the TLS server needs, loaded and checked: the server key and chain, the trusted client CAs and
 * their CRLs. Immutable, and built whole or not at all. {@code warnings} are problems that do
 * not stop the gateway (a stale CRL, an expired CA among several).
 */
public record TlsMaterial(
        PrivateKey serverKey,
        List<X509Certificate> serverChain,
        List<X509Certificate> clientCas,
        List<X509CRL> crls,
        List<String> warnings) {

    public TlsMaterial {
        serverChain = List.copyOf(serverChain);
        clientCas = List.copyOf(clientCas);
        crls = List.copyOf(crls);
        warnings = List.copyOf(warnings);
    }

    /**
     * Loads and cross-checks every file {@code config} names. All problems are collected, each under the key
     * path of the setting that named the file ({@code server.tls.keyFile: certs/server.key: wrong password}).
     */
    public static TlsMaterial load(TlsConfig config, Instant now) throws ConfigException {
        String base = "server.tls.";
        List<ConfigError> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();

        PrivateKey key = null;
        List<X509Certificate> chain = List.of();
        String keyPath;
        if (config.keyStoreFile() != null) {
            keyPath = base + "keyStoreFile";
            try {
                PemLoader.KeyAndChain entry = PemLoader.pkcs12(config.keyStoreFile(),
                        config.keyStorePassword() == null ? null : config.keyStorePassword().chars());
                key = entry.key();
                chain = entry.chain();
            } catch (TlsException e) {
                errors.add(new ConfigError(keyPath, e.getMessage()));
            }
        } else {
            keyPath = base + "keyFile";
            try {
                chain = PemLoader.certificates(config.certFile());
            } catch (TlsException e) {
                errors.add(new ConfigError(base + "certFile", e.getMessage()));
            }
            try {
                key = PemLoader.privateKey(config.keyFile(), config.keyPassword() == null ? null : config.keyPassword().chars());
            } catch (TlsException e) {
                errors.add(new ConfigError(keyPath, e.getMessage()));
            }
        }
        if (!chain.isEmpty()) {
            X509Certificate leaf = chain.get(0);
            String certPath = config.keyStoreFile() != null ? keyPath : base + "certFile";
            Path certFile = config.keyStoreFile() != null ? config.keyStoreFile() : config.certFile();
            if (key != null && !PemLoader.matches(key, leaf.getPublicKey())) {
                errors.add(new ConfigError(keyPath, (config.keyStoreFile() != null ? config.keyStoreFile() : config.keyFile())
                        + ": the key does not match the certificate " + Certificates.describe(leaf) + " in " + certFile));
            }
            String validity = Certificates.validityProblem(leaf, now);
            if (validity != null) {
                errors.add(new ConfigError(certPath, certFile + ": " + validity));
            }
        }

        List<X509Certificate> cas = List.of();
        try {
            cas = PemLoader.certificates(config.clientCaFile());
            for (X509Certificate ca : cas) {
                String validity = Certificates.validityProblem(ca, now);
                if (validity != null) {
                    warnings.add(config.clientCaFile() + ": client CA " + validity);
                }
                if (ca.getBasicConstraints() < 0) {
                    warnings.add(config.clientCaFile() + ": " + Certificates.describe(ca) + " is not a CA certificate");
                }
            }
        } catch (TlsException e) {
            errors.add(new ConfigError(base + "clientCaFile", e.getMessage()));
        }

        List<X509CRL> crls = new ArrayList<>();
        for (int i = 0; i < config.crlFiles().size(); i++) {
            Path file = config.crlFiles().get(i);
            String crlPath = base + "crlFiles[" + i + "]";
            try {
                for (X509CRL crl : PemLoader.crls(file)) {
                    if (!cas.isEmpty() && Certificates.crlIssuer(crl, cas) == null) {
                        errors.add(new ConfigError(crlPath, file + ": CRL not signed by a configured CA (issuer "
                                + crl.getIssuerX500Principal().getName() + ")"));
                        continue;
                    }
                    if (crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isBefore(now)) {
                        warnings.add(file + ": CRL for " + crl.getIssuerX500Principal().getName() + " expired at "
                                + crl.getNextUpdate().toInstant() + " (crlStale: "
                                + config.crlStale().name().toLowerCase(java.util.Locale.ROOT) + ")");
                    }
                    crls.add(crl);
                }
            } catch (TlsException e) {
                errors.add(new ConfigError(crlPath, e.getMessage()));
            }
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new TlsMaterial(key, chain, cas, crls, warnings);
    }
}
