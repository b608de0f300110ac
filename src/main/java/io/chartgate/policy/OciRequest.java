package io.chartgate.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One request of the OCI Distribution API, read from its method and canonical path with the distribution
 * grammar: {@code /v2/<name>/(manifests/<ref>|blobs/<digest>|blobs/uploads/[<id>]|tags/list|referrers/<digest>)}.
 * A name may itself hold {@code manifests} or {@code blobs} segments; the endpoint is the suffix at the end.
 * Policy decides on the repository ({@link #policyPath()}, {@code /v2/<name>}), never on the raw path: every
 * request to one repository is judged alike, whatever it asks of it. Pure; no I/O.
 *
 * @param endpoint what is asked for
 * @param repository the repository name ({@code charts/team-a/demo}); for the index, the namespace it lists (null
 *     for all); null for the ping and the catalog
 * @param access READ (pull) or WRITE (push, delete); null for the ping and the catalog, which no grant covers
 */
public record OciRequest(Endpoint endpoint, String repository, Access access) {

    /** The parts of the API. */
    public enum Endpoint {
        /** {@code GET /v2/}: "is this a registry", answered to any authenticated caller. */
        PING,
        /** {@code GET /v2/_catalog}: the repositories' names; the gateway answers it, cut to what the caller may pull. */
        CATALOG,
        MANIFEST,
        BLOB,
        /** {@code POST blobs/uploads/} and the session URLs it hands out. */
        UPLOAD,
        TAGS,
        REFERRERS,
        /**
         * {@code GET /v2/[<namespace>/]index.yaml}: a Helm repository index the gateway makes from the registry,
         * holding only what the caller may pull; any authenticated caller may ask. Not part of the Distribution API:
         * no repository path ends in {@code index.yaml} without an endpoint after it.
         */
        INDEX,
        /**
         * {@code GET /v2/<name>/_chart/<manifest digest>/<file>.tgz} (or {@code .tgz.prov}): the chart (provenance)
         * layer of a manifest, as the synthesized index links it. {@code _chart} is no name component, so the path
         * cannot be a repository's.
         */
        CHART
    }

    /** The outcome of {@link #parse}. */
    public sealed interface Result permits Parsed, Refused {
    }

    public record Parsed(OciRequest request) implements Result {
    }

    /**
     * A request outside the API, with the status (400 for a path outside the grammar, 405 for a method the
     * endpoint does not take), the OCI error code and a sentence for the client.
     */
    public record Refused(int status, String code, String message) implements Result {
    }

    /** distribution's {@code reference.NameRegexp} path component, joined by '/'. */
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final String NAME = COMPONENT + "(?:/" + COMPONENT + ")*";
    private static final Pattern NAME_ONLY = Pattern.compile(NAME);
    private static final String DIGEST = "(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})";
    private static final String TAG = "[A-Za-z0-9_][A-Za-z0-9._-]{0,127}";
    private static final String SESSION = "[A-Za-z0-9_=-][A-Za-z0-9._=-]{0,255}";
    /** distribution refuses longer names. */
    private static final int MAX_NAME = 255;

    private static final Pattern MANIFEST = Pattern.compile("/v2/(" + NAME + ")/manifests/(?:" + TAG + "|" + DIGEST + ")");
    private static final Pattern BLOB = Pattern.compile("/v2/(" + NAME + ")/blobs/" + DIGEST);
    private static final Pattern UPLOAD_START = Pattern.compile("/v2/(" + NAME + ")/blobs/uploads/?");
    private static final Pattern UPLOAD_SESSION = Pattern.compile("/v2/(" + NAME + ")/blobs/uploads/" + SESSION);
    private static final Pattern TAGS = Pattern.compile("/v2/(" + NAME + ")/tags/list");
    private static final Pattern REFERRERS = Pattern.compile("/v2/(" + NAME + ")/referrers/" + DIGEST);
    private static final Pattern INDEX_FILE = Pattern.compile("/v2/(?:(" + NAME + ")/)?index\\.yaml");
    /** The chart file of a synthesized index entry: repository, manifest digest, file name. */
    private static final Pattern CHART_FILE = Pattern.compile("/v2/(" + NAME + ")/_chart/(sha256:[a-f0-9]{64})/([A-Za-z0-9][A-Za-z0-9._+-]{0,254}\\.tgz(?:\\.prov)?)");

    /** The path policy globs are matched against: {@code /v2/<repository>}. */
    public CanonicalPath policyPath() {
        return new CanonicalPath("/v2/" + repository, null);
    }

    /**
     * Refuses a raw request target whose path holds any percent-encoding: nothing in the grammar needs one, and
     * a registry decodes {@code %2F} into a name separator the policy would not have seen. Null when acceptable.
     */
    public static String rawPathProblem(String target) {
        int query = target.indexOf('?');
        String rawPath = query < 0 ? target : target.substring(0, query);
        return rawPath.indexOf('%') >= 0
                ? "an OCI path holds no percent-encoding (names, tags, digests and upload ids never need one)" : null;
    }

    /** Reads a request; the path is already canonical (no dot segments, no encoded separators). */
    public static Result parse(String method, CanonicalPath path) {
        String p = path.path();
        if (p.equals("/v2/") || p.equals("/v2")) {
            return method.equals("GET") || method.equals("HEAD")
                    ? new Parsed(new OciRequest(Endpoint.PING, null, null)) : notAllowed(method, "/v2/");
        }
        if (p.equals("/v2/_catalog")) {
            return method.equals("GET") ? new Parsed(new OciRequest(Endpoint.CATALOG, null, null))
                    : notAllowed(method, "the catalog");
        }
        Matcher m;
        if ((m = INDEX_FILE.matcher(p)).matches()) {
            if (m.group(1) != null && m.group(1).length() > MAX_NAME) {
                return new Refused(400, "NAME_INVALID", "a repository name is at most " + MAX_NAME + " characters");
            }
            return method.equals("GET") || method.equals("HEAD")
                    ? new Parsed(new OciRequest(Endpoint.INDEX, m.group(1), Access.READ)) : notAllowed(method, "the index");
        }
        if ((m = CHART_FILE.matcher(p)).matches()) {
            return decide(m, Endpoint.CHART, method, "GET HEAD", "");
        }
        if ((m = MANIFEST.matcher(p)).matches()) {
            return decide(m, Endpoint.MANIFEST, method, "GET HEAD", "PUT DELETE");
        }
        if ((m = BLOB.matcher(p)).matches()) {
            return decide(m, Endpoint.BLOB, method, "GET HEAD", "DELETE");
        }
        if ((m = UPLOAD_START.matcher(p)).matches()) {
            return decide(m, Endpoint.UPLOAD, method, "", "POST");
        }
        if ((m = UPLOAD_SESSION.matcher(p)).matches()) {
            // an upload's status (GET) only means something to its uploader: a write like the rest of the session
            return decide(m, Endpoint.UPLOAD, method, "", "GET PATCH PUT DELETE");
        }
        if ((m = TAGS.matcher(p)).matches()) {
            return decide(m, Endpoint.TAGS, method, "GET HEAD", "");
        }
        if ((m = REFERRERS.matcher(p)).matches()) {
            return decide(m, Endpoint.REFERRERS, method, "GET HEAD", "");
        }
        return new Refused(400, "NAME_INVALID", p + " is not an OCI distribution API path (expected /v2/<name>/manifests/<ref>, "
                + "blobs/<digest>, blobs/uploads/, tags/list or referrers/<digest>; names are lower case)");
    }

    private static Result decide(Matcher m, Endpoint endpoint, String method, String reads, String writes) {
        String name = m.group(1);
        if (name.length() > MAX_NAME) {
            return new Refused(400, "NAME_INVALID", "a repository name is at most " + MAX_NAME + " characters");
        }
        if (List.of(reads.split(" ")).contains(method)) {
            return new Parsed(new OciRequest(endpoint, name, Access.READ));
        }
        if (List.of(writes.split(" ")).contains(method)) {
            return new Parsed(new OciRequest(endpoint, name, Access.WRITE));
        }
        return notAllowed(method, endpoint.name().toLowerCase(java.util.Locale.ROOT) + " of " + name);
    }

    private static Refused notAllowed(String method, String what) {
        return new Refused(405, "UNSUPPORTED", method + " is not allowed on " + what);
    }

    /** Whether {@code name} is a repository name of the grammar. */
    public static boolean isName(String name) {
        return name.length() <= MAX_NAME && NAME_ONLY.matcher(name).matches();
    }

    /**
     * A cross-repository mount asked for in an upload's query ({@code mount=<digest>&from=<repo>}).
     *
     * @param sources every {@code from} value, decoded; a value outside the name grammar is kept as sent, so no
     *     grant can cover it
     * @param withoutMount the query with every {@code mount} and {@code from} pair removed and the rest byte for
     *     byte, or null when nothing is left
     */
    public record Mount(List<String> sources, String withoutMount) {
    }

    /**
     * The mount a raw query asks for, or null when it names neither {@code mount} nor {@code from}. Keys are
     * decoded the way the registry (Go's {@code url.ParseQuery}) decodes them, so {@code fr%6Fm} is a {@code from}.
     */
    public static Mount mount(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        List<String> sources = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        boolean found = false;
        for (String pair : rawQuery.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = unescape(eq < 0 ? pair : pair.substring(0, eq));
            if ("mount".equals(key) || "from".equals(key)) {
                found = true;
                if (key.equals("from")) {
                    String value = eq < 0 ? "" : unescape(pair.substring(eq + 1));
                    sources.add(value == null ? pair.substring(eq + 1) : value);
                }
                continue;
            }
            kept.add(pair);
        }
        if (!found) {
            return null;
        }
        String rest = String.join("&", kept);
        return new Mount(sources, rest.isEmpty() ? null : rest);
    }

    /** Go's {@code QueryUnescape}: {@code +} is a space, {@code %XX} a byte; null when malformed. */
    static String unescape(String s) {
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out[n++] = ' ';
            } else if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    return null;
                }
                out[n++] = (byte) (Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
