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
 * Everything the TLS server needs, loaded and checked: the server key and chain, the trusted client CAs (the
 * trust anchors), the intermediates chains may pass through, and the CRLs. Immutable, and built whole or not at
 * all. {@code warnings} are problems that do not stop the gateway (a stale CRL, an expired CA among several).
 *
 * <p>A CA of {@code clientCaFile} that another configured CA issued is an intermediate, not an anchor: its
 * issuer's CRL can then revoke it (an anchor is trusted for itself, and nothing revokes it).
 */
public record TlsMaterial(
        PrivateKey serverKey,
        List<X509Certificate> serverChain,
        List<X509Certificate> clientCas,
        List<X509Certificate> intermediates,
        List<X509CRL> crls,
        List<String> warnings) {

    public TlsMaterial {
        serverChain = List.copyOf(serverChain);
        clientCas = List.copyOf(clientCas);
        intermediates = List.copyOf(intermediates);
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

        ClientSide client = clientSide(config, now, errors, warnings);
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return new TlsMaterial(key, chain, client.cas(), client.intermediates(), client.crls(), warnings);
    }

    /**
     * The client side alone (anchors, intermediates, CRLs) as the gateway would trust it, for tools that judge a
     * certificate without serving ({@code policy explain}).
     */
    public static ClientTrust clientTrust(TlsConfig config, Instant now) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        ClientSide client = clientSide(config, now, errors, new ArrayList<>());
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return ClientTrust.of(client.cas(), client.intermediates(), client.crls(), config.crlStale());
    }

    private record ClientSide(List<X509Certificate> cas, List<X509Certificate> intermediates, List<X509CRL> crls) {
    }

    private static ClientSide clientSide(TlsConfig config, Instant now, List<ConfigError> errors, List<String> warnings) {
        String base = "server.tls.";
        List<X509Certificate> bundle = List.of();
        try {
            bundle = PemLoader.certificates(config.clientCaFile());
        } catch (TlsException e) {
            errors.add(new ConfigError(base + "clientCaFile", e.getMessage()));
        }
        List<X509Certificate> named = List.of();
        if (config.intermediateCaFile() != null) {
            try {
                named = PemLoader.certificates(config.intermediateCaFile());
            } catch (TlsException e) {
                errors.add(new ConfigError(base + "intermediateCaFile", e.getMessage()));
            }
        }
        List<X509Certificate> all = new ArrayList<>(bundle);
        all.addAll(named);
        List<X509Certificate> cas = new ArrayList<>();
        List<X509Certificate> intermediates = new ArrayList<>(named);
        for (X509Certificate ca : bundle) {
            X509Certificate issuer = selfIssued(ca) ? null : Certificates.issuer(ca, all);
            if (issuer != null && issuer != ca) {
                intermediates.add(ca);
                warnings.add(config.clientCaFile() + ": " + Certificates.describe(ca) + " is issued by "
                        + issuer.getSubjectX500Principal().getName() + ", also configured: it is an intermediate, not a "
                        + "trust anchor, and policy issuer rules name " + issuer.getSubjectX500Principal().getName()
                        + " (or the root above it)");
            } else {
                cas.add(ca);
            }
        }
        if (!bundle.isEmpty() && cas.isEmpty()) {
            errors.add(new ConfigError(base + "clientCaFile", config.clientCaFile()
                    + ": holds no trust anchor (every CA in it is issued by another configured CA)"));
        }
        for (X509Certificate ca : all) {
            Path file = bundle.contains(ca) ? config.clientCaFile() : config.intermediateCaFile();
            String validity = Certificates.validityProblem(ca, now);
            if (validity != null) {
                warnings.add(file + ": client CA " + validity);
            }
            if (ca.getBasicConstraints() < 0) {
                warnings.add(file + ": " + Certificates.describe(ca) + " is not a CA certificate");
            }
        }
        for (X509Certificate intermediate : named) {
            if (selfIssued(intermediate)) {
                warnings.add(config.intermediateCaFile() + ": " + Certificates.describe(intermediate)
                        + " is a root: intermediateCaFile never makes a CA trusted (put roots in clientCaFile)");
            } else if (!chainsTo(intermediate, cas, all)) {
                warnings.add(config.intermediateCaFile() + ": " + Certificates.describe(intermediate)
                        + " does not chain to a CA in clientCaFile, so no client certificate it issued is accepted");
            }
        }

        List<X509CRL> crls = new ArrayList<>();
        for (int i = 0; i < config.crlFiles().size(); i++) {
            Path file = config.crlFiles().get(i);
            String crlPath = base + "crlFiles[" + i + "]";
            try {
                for (X509CRL crl : PemLoader.crls(file)) {
                    if (!all.isEmpty() && Certificates.crlIssuer(crl, all) == null) {
                        errors.add(new ConfigError(crlPath, file + ": CRL not signed by a configured CA (clientCaFile or intermediateCaFile; issuer "
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
        if (config.crlFetch().enabled()) {
            // fetched CRLs, as verified when they were fetched; checked again here like files (the cache is a disk)
            for (Path file : new CrlCache(config.crlFetch().cacheDir()).files()) {
                try {
                    for (X509CRL crl : PemLoader.crls(file)) {
                        if (Certificates.crlIssuer(crl, all) == null) {
                            warnings.add(file + ": fetched CRL not signed by a configured CA; ignored");
                        } else {
                            crls.add(crl);
                        }
                    }
                } catch (TlsException e) {
                    warnings.add(file + ": fetched CRL cannot be read (" + e.getMessage() + "); ignored until fetched again");
                }
            }
        }
        return new ClientSide(cas, intermediates, crls);
    }

    private static boolean selfIssued(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
    }

    /** Whether {@code certificate}'s issuers, followed by signature through {@code cas}, reach one of {@code anchors}. */
    private static boolean chainsTo(X509Certificate certificate, List<X509Certificate> anchors, List<X509Certificate> cas) {
        X509Certificate current = certificate;
        for (int depth = 0; depth < 8 && current != null; depth++) {
            X509Certificate issuer = Certificates.issuer(current, cas);
            if (issuer != null && anchors.contains(issuer)) {
                return true;
            }
            current = issuer == current ? null : issuer;
        }
        return false;
    }
}
