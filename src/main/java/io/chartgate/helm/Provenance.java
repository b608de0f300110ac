package io.chartgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;

/**
 * A Helm provenance file ({@code chart-1.0.0.tgz.prov}) checked the way {@code helm verify} checks it: an
 * OpenPGP clear-signed message whose signature verifies with a key of the keyring, and whose {@code files} map
 * names the chart archive with its SHA-256. Pure: bytes in, a verdict out.
 */
public final class Provenance {

    /** Why a chart upload is refused: the reason word of the 422 and its detail. */
    public static final class Refused extends Exception {
        private final String reason;

        public Refused(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        /** unsigned, unknown_key, bad_signature, digest_mismatch or malformed. */
        public String reason() {
            return reason;
        }
    }

    /** A verified provenance file: who signed it and the digests it vouches for (file name to lowercase hex). */
    public record Signed(String signer, Map<String, String> files) {
    }

    /** The most a provenance file may hold; a real one is a few KB. */
    public static final int MAX_BYTES = 1 << 20;

    private static final YAMLMapper YAML = new YAMLMapper();
    /** Bouncy Castle as a provider object, never registered globally (OpenPGP keys may use what the JDK lacks). */
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private Provenance() {
    }

    /** The public keys of an OpenPGP keyring file, binary ({@code pubring.gpg}) or ASCII-armored. */
    public static PGPPublicKeyRingCollection keyring(Path file) throws IOException {
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
            PGPPublicKeyRingCollection keys = new PGPPublicKeyRingCollection(in, new JcaKeyFingerprintCalculator());
            if (keys.size() == 0) {
                throw new IOException("holds no public key");
            }
            return keys;
        } catch (PGPException | RuntimeException e) {
            throw new IOException("not an OpenPGP public keyring (" + e.getMessage() + ")", e);
        }
    }

    /** Checks the signature of a provenance file against {@code keyring}. */
    public static Signed verify(byte[] prov, PGPPublicKeyRingCollection keyring) throws Refused {
        if (prov.length > MAX_BYTES) {
            throw new Refused("malformed", "the provenance file is larger than " + MAX_BYTES + " bytes");
        }
        try (ArmoredInputStream armored = new ArmoredInputStream(new ByteArrayInputStream(prov))) {
            if (!armored.isClearText()) {
                throw new Refused("unsigned", "the provenance file is not a clear-signed OpenPGP message");
            }
            ByteArrayOutputStream clearText = new ByteArrayOutputStream();
            int c;
            while ((c = armored.read()) >= 0 && armored.isClearText()) {
                clearText.write(c);
            }
            PGPSignatureList signatures = signatures(armored);
            PGPSignature signature = signatures.get(0);
            PGPPublicKey key = keyring.getPublicKey(signature.getKeyID());
            if (key == null) {
                throw new Refused("unknown_key", "signed by key " + String.format("%016X", signature.getKeyID())
                        + ", which is not in the route's keyring");
            }
            signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), key);
            byte[] text = clearText.toByteArray();
            update(signature, text);
            if (!signature.verify()) {
                throw new Refused("bad_signature", "the signature of the provenance file does not verify with key "
                        + String.format("%016X", signature.getKeyID()));
            }
            return new Signed(signer(key), files(new String(text, StandardCharsets.UTF_8)));
        } catch (IOException | PGPException | RuntimeException e) {
            throw new Refused("malformed", "the provenance file cannot be read (" + e.getMessage() + ")");
        }
    }

    /**
     * Checks that {@code signed} vouches for a chart archive named {@code fileName} (when known) with the SHA-256
     * {@code sha256}.
     */
    public static void checkDigest(Signed signed, String fileName, byte[] sha256) throws Refused {
        String have = HexFormat.of().formatHex(sha256);
        if (fileName != null && signed.files().containsKey(fileName)) {
            if (!signed.files().get(fileName).equals(have)) {
                throw new Refused("digest_mismatch", "the provenance file gives " + fileName + " the SHA-256 "
                        + signed.files().get(fileName) + ", the upload's is " + have);
            }
            return;
        }
        if (!signed.files().containsValue(have)) {
            throw new Refused("digest_mismatch", "the provenance file names no file with the upload's SHA-256 " + have
                    + (fileName == null ? "" : " (nor " + fileName + ")"));
        }
    }

    private static PGPSignatureList signatures(ArmoredInputStream armored) throws IOException, Refused {
        Object object = new JcaPGPObjectFactory(armored).nextObject();
        if (!(object instanceof PGPSignatureList list) || list.isEmpty()) {
            throw new Refused("unsigned", "the provenance file holds no signature");
        }
        return list;
    }

    /**
     * Feeds the clear text to the signature as RFC 4880 §7.1 prescribes: lines end with CR LF (none after the
     * last), trailing spaces and tabs are not signed. The armoured reader already removed the dash escapes.
     */
    private static void update(PGPSignature signature, byte[] text) {
        int start = 0;
        boolean first = true;
        int end = text.length;
        // the line break before the signature armour belongs to it, not to the text
        if (end > 0 && text[end - 1] == '\n') {
            end--;
            if (end > 0 && text[end - 1] == '\r') {
                end--;
            }
        }
        while (start <= end) {
            int lineEnd = start;
            while (lineEnd < end && text[lineEnd] != '\n') {
                lineEnd++;
            }
            int contentEnd = lineEnd;
            if (contentEnd > start && text[contentEnd - 1] == '\r') {
                contentEnd--;
            }
            while (contentEnd > start && (text[contentEnd - 1] == ' ' || text[contentEnd - 1] == '\t')) {
                contentEnd--;
            }
            if (!first) {
                signature.update((byte) '\r');
                signature.update((byte) '\n');
            }
            signature.update(text, start, contentEnd - start);
            first = false;
            start = lineEnd + 1;
        }
    }

    /** The {@code files} map of the provenance's second YAML document: file name to lowercase hex SHA-256. */
    static Map<String, String> files(String clearText) throws Refused {
        int separator = clearText.indexOf("\n...\n");
        if (separator < 0) {
            throw new Refused("malformed", "the provenance file has no files section");
        }
        JsonNode tree;
        try {
            tree = YAML.readTree(clearText.substring(separator + 5));
        } catch (IOException e) {
            throw new Refused("malformed", "the files section is not YAML (" + e.getMessage() + ")");
        }
        JsonNode files = tree == null ? null : tree.get("files");
        if (files == null || !files.isObject()) {
            throw new Refused("malformed", "the provenance file has no files map");
        }
        Map<String, String> digests = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String value = entry.getValue().asText("");
            if (value.toLowerCase(Locale.ROOT).startsWith("sha256:")) {
                digests.put(entry.getKey(), value.substring(7).toLowerCase(Locale.ROOT));
            }
        }
        return digests;
    }

    private static String signer(PGPPublicKey key) {
        Iterator<String> ids = key.getUserIDs();
        return ids.hasNext() ? ids.next() : String.format("%016X", key.getKeyID());
    }
}
