package io.chartgate.policy;

import io.chartgate.identity.ClientIdentity;
import java.util.List;

/** A compiled policy rule: who it applies to and which paths it lets them read and write. */
public record Rule(String name, IdentityMatcher matcher, List<PathGlob> read, List<PathGlob> write) {

    public Rule {
        read = List.copyOf(read);
        write = List.copyOf(write);
    }

    public List<PathGlob> globs(Access access) {
        return access == Access.READ ? read : write;
    }

    /** Whether this rule grants {@code access} on {@code path}, identity aside. */
    public boolean grants(Access access, CanonicalPath path) {
        for (PathGlob glob : globs(access)) {
            if (glob.matches(path)) {
                return true;
            }
        }
        return false;
    }

    public boolean appliesTo(ClientIdentity identity) {
        return matcher.matches(identity);
    }
}
