package io.chartgate.admin;

import io.chartgate.metrics.RecentActivity;
import java.time.Instant;
import java.util.List;

/**
 * What the status page shows, as plain values taken at one moment: the routes and their readiness, the policy,
 * the expiries of the TLS material in force, the recent principals and denials, and the last reload. It holds
 * nothing secret (no keys, passwords, tokens or query strings): the admin port has no authentication.
 *
 * @param denialsRecorded every denial since start, of which {@code denials} holds the most recent
 */
public record StatusReport(Instant generatedAt, Instant startedAt, List<Route> routes, List<Rule> rules, List<String> anonymousRead,
        List<String> anonymousWrite, List<Expiry> expiries, List<RecentActivity.Seen> principals, Reload lastReload,
        List<RecentActivity.Denial> denials, long denialsRecorded) {

    public StatusReport {
        routes = List.copyOf(routes);
        rules = List.copyOf(rules);
        anonymousRead = List.copyOf(anonymousRead);
        anonymousWrite = List.copyOf(anonymousWrite);
        expiries = List.copyOf(expiries);
        principals = List.copyOf(principals);
        denials = List.copyOf(denials);
    }

    /** How a route's upstream answered the readiness probe. */
    public enum Readiness {
        READY("ready"), NOT_READY("not ready"), NOT_PROBED("not probed yet");

        private final String label;

        Readiness(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One route: {@code kind} is the upstream type, {@code target} where it goes without credentials (an URL, an
     * endpoint and bucket, a directory); {@code lastProbe} and {@code error} are null until probed, and when ready.
     */
    public record Route(String name, String prefix, String kind, String target, Readiness readiness, Instant lastProbe,
            String error) {
    }

    /** One policy rule as written: {@code match} as {@code key=value} conditions, all of which must hold. */
    public record Rule(String name, List<String> match, List<String> read, List<String> write) {

        public Rule {
            match = List.copyOf(match);
            read = List.copyOf(read);
            write = List.copyOf(write);
        }
    }

    /** When a certificate of the TLS material runs out (or a CRL's nextUpdate passes). */
    public record Expiry(String kind, String subject, Instant at) {
    }

    /** The last reload, as the {@code config_reload} log entry states it. */
    public record Reload(Instant at, String trigger, String result, List<String> errors, List<String> restartRequired,
            List<String> warnings) {

        public Reload {
            errors = List.copyOf(errors);
            restartRequired = List.copyOf(restartRequired);
            warnings = List.copyOf(warnings);
        }
    }
}
